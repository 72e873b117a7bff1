//! The one base64 encoder (RFC 4648, standard alphabet, with padding):
//! SASL responses (which carry the password), OSC 52 clipboard sequences,
//! and the log filter's base64 forms of a password.

use zeroize::Zeroizing;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `input` in base64, appended to a buffer that is zeroed when dropped.
/// Give it room for `input.len().div_ceil(3) * 4` more bytes, so it is
/// never reallocated (a reallocation would leave a copy unzeroed).
pub fn encode_into(input: &[u8], out: &mut Zeroizing<Vec<u8>>) {
    debug_assert!(out.capacity() - out.len() >= input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]
            } else {
                b'='
            });
        }
    }
}

/// `input` in base64, as text that is zeroed when dropped.
pub fn encode(input: &[u8]) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(input.len().div_ceil(3) * 4));
    encode_into(input, &mut bytes);
    let mut out = Zeroizing::new(String::with_capacity(bytes.len()));
    // The alphabet is ASCII.
    out.extend(bytes.iter().map(|&b| char::from(b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("\0u\0p", "AHUAcA=="),
            ("abcd-efgh-ijkl-mnop", "YWJjZC1lZmdoLWlqa2wtbW5vcA=="),
        ] {
            assert_eq!(encode(plain.as_bytes()).as_str(), encoded, "{plain:?}");
        }
    }
}

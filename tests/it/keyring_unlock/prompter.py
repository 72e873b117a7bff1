#!/usr/bin/python3
"""A scripted stand-in for gcr-prompter: the person at the desktop.

Owns org.gnome.keyring.SystemPrompter on the session bus, as gcr-prompter
does, and answers gnome-keyring's password prompts as told by argv[1]:
  type  -- types the keyring password (read from stdin), as a person would
  cancel -- presses Cancel
  wait  -- shows the prompt and never answers
Every call is appended to the log file argv[2], one word a line (the
password never is). The secret goes to gnome-keyring through GCR's
secret exchange (sx-aes-1: DH modp-1536, HKDF-SHA256, AES-128-CBC), as
gcr-prompter sends it.
"""
import base64, os, sys
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# RFC 3526 / RFC 2409 1536-bit MODP group ("ietf-ike-grp-modp-1536"), g = 2.
P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF", 16)
NBYTES = (P.bit_length() + 7) // 8

mode, logpath = sys.argv[1], sys.argv[2]
if mode not in ("type", "cancel", "wait"):
    sys.exit("unknown mode " + mode)
password = sys.stdin.read() if mode == "type" else ""
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
log = open(logpath, "a", buffering=1)
IFACE = "org.gnome.keyring.internal.Prompter"
CB = "org.gnome.keyring.internal.Prompter.Callback"
priv = int.from_bytes(os.urandom(NBYTES), "big") % (P - 2) + 1
pub = pow(2, priv, P).to_bytes(NBYTES, "big").lstrip(b"\0")


def b64(data):
    return base64.b64encode(data).decode()


def exchange(**fields):
    lines = ["[sx-aes-1]", "public=" + b64(pub)]
    lines += ["%s=%s" % (k, b64(v)) for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def peer_key(text):
    for line in text.splitlines():
        if line.startswith("public="):
            peer = int.from_bytes(base64.b64decode(line[7:]), "big")
            shared = pow(peer, priv, P).to_bytes(NBYTES, "big")
            return HKDF(hashes.SHA256(), 16, None, None).derive(shared)
    raise ValueError("no public key in the exchange")


def encrypt(key, secret):
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(secret) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize(), iv


def reply(sender, callback, *args):
    def send():
        bus.get_object(sender, callback).PromptReady(
            *args, dbus_interface=CB, ignore_reply=True)
        return False
    GLib.idle_add(send)


class Prompter(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature="o", sender_keyword="sender")
    def BeginPrompting(self, callback, sender=None):
        log.write("begin\n")
        reply(sender, callback, "", dbus.Dictionary({}, signature="sv"), exchange())

    @dbus.service.method(IFACE, in_signature="osa{sv}s", sender_keyword="sender")
    def PerformPrompt(self, callback, kind, props, exch, sender=None):
        log.write("prompt %s\n" % kind)
        none = dbus.Dictionary({}, signature="sv")
        if mode == "wait":
            return
        if mode == "cancel" or kind != "password":
            reply(sender, callback, "no", none, exchange())
            return
        secret, iv = encrypt(peer_key(exch), password.encode())
        reply(sender, callback, "yes", none, exchange(secret=secret, iv=iv))

    @dbus.service.method(IFACE, in_signature="o", sender_keyword="sender")
    def StopPrompting(self, callback, sender=None):
        log.write("stop\n")

        def done():
            bus.get_object(sender, callback).PromptDone(dbus_interface=CB, ignore_reply=True)
            return False
        GLib.idle_add(done)


name = dbus.service.BusName("org.gnome.keyring.SystemPrompter", bus, do_not_queue=True)
Prompter(bus, "/org/gnome/keyring/Prompter")
log.write("ready\n")
GLib.MainLoop().run()

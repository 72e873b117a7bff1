"""A hostile Secret Service for tests/it/keyring_hostile.rs: it owns
org.freedesktop.secrets on the test's own session bus and answers every
call with an error whose message carries terminal escape sequences (a
window title, a screen clear), a bidi override, and 100 000 more
characters. Writes "ready" to the file named by argv[1] once it owns the
name."""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202eevil\u202c" + "y" * 100_000
IFACE = "org.freedesktop.Secret.Service"


class Failed(dbus.exceptions.DBusException):
    _dbus_error_name = "org.freedesktop.DBus.Error.Failed"


class Service(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature="sv", out_signature="vo")
    def OpenSession(self, algorithm, value):
        raise Failed(HOSTILE)

    @dbus.service.method(IFACE, in_signature="a{ss}", out_signature="aoao")
    def SearchItems(self, attributes):
        raise Failed(HOSTILE)

    @dbus.service.method(IFACE, in_signature="s", out_signature="o")
    def ReadAlias(self, name):
        raise Failed(HOSTILE)

    @dbus.service.method(
        "org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v"
    )
    def Get(self, interface, prop):
        raise Failed(HOSTILE)


dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName("org.freedesktop.secrets", bus)
Service(bus, "/org/freedesktop/secrets")
with open(sys.argv[1], "w") as f:
    f.write("ready\n")
GLib.MainLoop().run()

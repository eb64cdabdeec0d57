"""What the first-run set-up guide does, without Qt: find serial ports, add a
printer (USB serial, OctoPrint, or the demo's virtual printer), remember the
library folders, sign in to the marketplace.

Every function here may block (serial enumeration, HTTP, the database):
the wizard (``ui/setup_wizard.py``) calls them on a worker thread, never on
the GUI thread.  Failures are typed :class:`SetupError`\\ s (or the domain's
own known errors), which the wizard shows as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.notify import KnownError

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

#: Where an OctoPrint printer's API key lives in the secret store (the same
#: name as ``printers.store.PrinterRecord.secret_name``).
OCTOPRINT_SECRET = "octoprint-key:{name}"


class SetupError(KnownError):
    """A set-up step could not be done (the message says why and what to try)."""


@dataclass(frozen=True, slots=True)
class SerialPort:
    device: str
    description: str

    @property
    def likely(self) -> bool:
        """Likely a printer: a USB serial device (the legacy /dev/ttyS* rarely is)."""
        return "USB" in self.device or "ACM" in self.device or "usb" in self.description.lower()

    @property
    def label(self) -> str:
        if self.description and self.description != "n/a":
            return f"{self.device} \u2014 {self.description}"
        return self.device


def serial_ports() -> list[SerialPort]:
    """The serial ports of this machine (USB printers show up as
    ``/dev/ttyUSB*`` or ``/dev/ttyACM*``), likeliest printers first."""
    from serial.tools import list_ports

    ports = [SerialPort(p.device, p.description or "") for p in list_ports.comports()]
    return sorted(ports, key=lambda p: (not p.likely, p.device))


def add_serial_printer(services: Services, name: str, port: str, baud: int = 115200) -> str:
    """Store a USB serial printer; returns its name."""
    name = name.strip()
    if not name:
        raise SetupError("Give the printer a name.")
    if not port.strip():
        raise SetupError("Choose the printer's serial port.")
    rec = services.printers.add_printer(name, port.strip(), baud)
    log.info("added serial printer %s on %s", rec.name, rec.port)
    return rec.name


def start_demo_printer(services: Services, timeout: float = 20.0) -> str:
    """Start the virtual printer and connect it; returns its name."""
    conn = services.printers.start_virtual()
    if not conn.wait_for(lambda s: s.link.value == "operational", timeout):
        raise SetupError("The demo printer did not answer; see View \u25b8 Log.")
    return str(conn.record.name) if hasattr(conn, "record") else "Virtual Marlin"


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url:
        raise SetupError("Enter the OctoPrint server's address, e.g. http://octopi.local")
    if "://" not in url:
        url = "http://" + url
    if not url.startswith(("http://", "https://")):
        raise SetupError(f"{url}: an OctoPrint address starts with http:// or https://")
    return url


def octoprint_api_key(url: str, username: str, password: str) -> str:
    """Log in to OctoPrint and get an application key for Layerline (the
    password is used once and kept nowhere)."""
    from printers.octoprint.appkeys import key_from_password

    if not username:
        raise SetupError("Enter your OctoPrint user name.")
    return key_from_password(normalise_url(url), username, password, app="Layerline")


def add_octoprint_printer(services: Services, name: str, url: str, username: str,
                          password: str) -> str:
    """Get an API key from OctoPrint with the user's login, keep it in the
    secret store and store the printer; returns its name.

    The key's secret name is ``PrinterRecord.secret_name``'s."""
    name = name.strip()
    if not name:
        raise SetupError("Give the printer a name.")
    url = normalise_url(url)
    if any(p.name == name for p in services.printers.printers()):
        raise SetupError(f"A printer named {name!r} exists already.")
    key = octoprint_api_key(url, username, password)
    secret = OCTOPRINT_SECRET.format(name=name)
    services.secrets.set(secret, key)
    try:
        rec: Any = _store_octoprint(services, name, url)
    except Exception:
        services.secrets.delete(secret)
        raise
    _changed(services)
    log.info("added OctoPrint printer %s at %s", rec.name, url)
    return str(rec.name)


def _store_octoprint(services: Services, name: str, url: str) -> Any:
    return services.printers.store.add_printer(name, "", kind="octoprint", url=url)


def _changed(services: Services) -> None:
    # Listeners (the Printers area) hear of a printer added behind the service.
    from printers.service import PrintersChanged

    services.printers._emit(PrintersChanged())


def marketplace_sign_in(services: Services, url: str, username: str, password: str) -> str:
    """Sign in to the marketplace (the token goes to the secret store) and
    remember its address in the settings; returns the account's name."""
    from reviews.client import MarketplaceClient

    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SetupError("The marketplace address starts with http:// or https://")
    if not username or not password:
        raise SetupError("Enter your marketplace user name and password.")
    with MarketplaceClient(url, services.secrets) as client:
        answer = client.login(username, password)
    account = answer.get("account") if isinstance(answer.get("account"), dict) else answer
    return str(account.get("username", username)) if isinstance(account, dict) else username

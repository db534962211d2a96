"""The organiser's mailbox over IMAP (TLS only): the adapter `replies fetch` reads replies from.

imap-tools (pinned in requirements.lock) does the IMAP: it is maintained, small, has no
dependencies, and gives MOVE with a COPY+DELETE fallback, folder creation and UID-based fetches
on top of the standard library's imaplib, so none of that is ours to keep right. We add what the
use case needs: the exact bytes of each message (imap-tools keeps only the parsed object), the
three folders a message is filed into, named with the server's own hierarchy separator, and one
sentence for every way the server can fail.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

from imap_tools import MailBox, MailBoxStartTls, MailMessage
from imap_tools.errors import ImapToolsError, MailboxFolderSelectError, MailboxLoginError

from kvalitetsloop.errors import UserError
from kvalitetsloop.usecases.replies import ASIDE_FOLDER, DONE, REJECTED, MailItem

# Messages fetched per IMAP command: few round trips, bounded memory.
_BULK = 50


class MailboxUnavailable(UserError):
    """The organiser's mailbox cannot be read: the server is away, refuses the login or the TLS."""


class _RawMessage(MailMessage):
    """A fetched message that keeps its bytes as the server holds them."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


class _Tls(MailBox):
    email_message_class = _RawMessage


class _StartTls(MailBoxStartTls):
    email_message_class = _RawMessage


class ImapMailbox:
    """One session on the organiser's mailbox: `items()` lists what the folder holds, `file()`
    moves one message to the folder for done, kept-aside or rejected replies."""

    def __init__(self, *, host: str, port: int, user: str, password: str, tls: str, folder: str,
                 folders: dict[str, str], ca_file: Path | None = None, timeout: float = 30.0):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.tls, self.folder, self.folders = tls, folder, folders
        self.ca_file, self.timeout = ca_file, timeout
        self.box = None
        self._made: set[str] = set()
        self._delimiter = "/"

    @classmethod
    def from_settings(cls, settings) -> "ImapMailbox":
        return cls(host=settings.imap_host, port=settings.imap_port, user=settings.imap_user,
                   password=settings.imap_password, tls=settings.imap_tls, folder=settings.imap_folder,
                   folders={DONE: settings.imap_done_folder, ASIDE_FOLDER: settings.imap_aside_folder,
                            REJECTED: settings.imap_rejected_folder},
                   ca_file=settings.imap_ca_file, timeout=settings.imap_timeout)

    @property
    def where(self) -> str:
        return f"the IMAP server {self.host}:{self.port}"

    def __enter__(self) -> "ImapMailbox":
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        kind = _Tls if self.tls == "ssl" else _StartTls
        try:
            box = kind(self.host, self.port, timeout=self.timeout, ssl_context=context)
        except ssl.SSLCertVerificationError as exc:
            raise MailboxUnavailable(f"{self.where} has a TLS certificate this machine does not trust "
                                     f"({exc.verify_message}); set KVALITETSLOOP_IMAP_CA_FILE to its CA") from None
        except (ssl.SSLError, ImapToolsError, imaplib.IMAP4.error) as exc:
            raise MailboxUnavailable(f"{self.where} did not agree on TLS ({_why(exc)}); check "
                                     f"KVALITETSLOOP_IMAP_PORT and KVALITETSLOOP_IMAP_TLS") from None
        except (OSError, socket.timeout) as exc:
            raise MailboxUnavailable(f"{self.where} cannot be reached ({_why(exc)})") from None
        try:
            box.login(self.user, self.password, initial_folder=None)
        except MailboxLoginError:
            _close(box)
            raise MailboxUnavailable(f"{self.where} refused the login of '{self.user}'; check "
                                     f"KVALITETSLOOP_IMAP_USER and KVALITETSLOOP_IMAP_PASSWORD") from None
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
            _close(box)
            raise MailboxUnavailable(f"{self.where} failed at the login ({_why(exc)})") from None
        try:
            box.folder.set(self.folder)
        except MailboxFolderSelectError:
            _close(box)
            raise MailboxUnavailable(f"the folder '{self.folder}' does not exist in the mailbox of '{self.user}' "
                                     f"on {self.where}") from None
        folders = box.folder.list(self.folder)
        if folders and folders[0].delim:
            self._delimiter = folders[0].delim
        self.box = box
        return self

    def __exit__(self, *exc) -> None:
        if self.box is not None:
            _close(self.box)
            self.box = None

    def items(self) -> Iterator[MailItem]:
        """Every message of the folder, oldest first, read without marking it seen."""
        try:
            for msg in self.box.fetch("ALL", mark_seen=False, bulk=_BULK):
                if msg.uid:
                    yield MailItem(msg.uid, msg.raw)
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
            raise MailboxUnavailable(f"{self.where} stopped while the messages were read ({_why(exc)})") from None

    def folder_name(self, where: str) -> str:
        """A configured folder ('Kvalitetsloop/Behandlet') in the server's hierarchy separator."""
        return self.folders[where].replace("/", self._delimiter)

    def file(self, ref: str, where: str) -> None:
        """Move one message to the folder for `where` (done, aside, rejected), made if missing."""
        name = self.folder_name(where)
        try:
            if name not in self._made:
                if not self.box.folder.exists(name):
                    self.box.folder.create(name)
                self._made.add(name)
            self.box.move(ref, name)
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
            raise MailboxUnavailable(f"{self.where} would not move a message to '{name}' ({_why(exc)}); "
                                     f"what was read is recorded, and the next fetch files it") from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _close(box) -> None:
    try:
        box.logout()
    except Exception:  # noqa: BLE001 - a session that is already gone needs no goodbye
        try:
            box.client.shutdown()
        except Exception:  # noqa: BLE001
            pass

"""yagmail is the transport: its connection, TLS and login, fed with messages built in mime.py.

yagmail 0.16 (pinned in pyproject.toml) opens a new connection on every `send()` and builds its
own MIME; `YagTransport` keeps yagmail's `login()` (connect, STARTTLS or implicit TLS, AUTH) and
`close()`, and hands our finished bytes to the connection yagmail opened, reusing it for a whole
batch. `deliver` returns the server's answer to DATA, which the outbox records per row. The seam
(yagmail's `login`, `smtp`, `is_closed`, `close`) is covered by tests/notifications/test_transport.py.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass

import yagmail

YAGMAIL_VERSION = "0.16.0"


@dataclass(frozen=True)
class SmtpAnswer:
    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


class DeliveryError(Exception):
    """A message was not accepted. `permanent` (5xx) means: do not try again."""

    def __init__(self, code: int | None, text: str, *, permanent: bool, connection_lost: bool):
        super().__init__(f"{code} {text}".strip() if code else text)
        self.code = code
        self.text = text
        self.permanent = permanent
        self.connection_lost = connection_lost


def _text(resp) -> str:
    if isinstance(resp, bytes):
        return resp.decode("utf-8", "replace").strip()
    return str(resp).strip()


class YagTransport(yagmail.SMTP):
    """A yagmail client that sends prebuilt messages over one reused connection."""

    def __init__(self, *, host: str, port: int, user: str, password: str, tls: str, timeout: float,
                 envelope_from: str):
        skip_login = not password
        super().__init__(
            user=user or envelope_from, password=password or None, host=host, port=port,
            smtp_ssl=(tls == "ssl"), smtp_starttls=(tls == "starttls"), smtp_skip_login=skip_login,
            soft_email_validation=False, timeout=timeout)
        self.envelope_from = envelope_from
        self.connections = 0

    @classmethod
    def from_settings(cls, settings) -> "YagTransport":
        return cls(host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
                   password=settings.smtp_password, tls=settings.smtp_tls, timeout=settings.smtp_timeout,
                   envelope_from=settings.sender)

    @property
    def connected(self) -> bool:
        return self.is_closed is False and self.smtp is not None

    def connect(self) -> None:
        """Open the connection (yagmail's login: connect, TLS, AUTH) if it is not open."""
        if self.connected:
            return
        try:
            self.login()
        except smtplib.SMTPAuthenticationError as exc:
            self.reset()
            raise DeliveryError(exc.smtp_code, _text(exc.smtp_error), permanent=False, connection_lost=True) from None
        except smtplib.SMTPResponseException as exc:
            self.reset()
            raise DeliveryError(exc.smtp_code, _text(exc.smtp_error), permanent=False, connection_lost=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.reset()
            raise DeliveryError(None, f"cannot connect to {self.host}:{self.port}: {exc or type(exc).__name__}",
                                permanent=False, connection_lost=True) from None
        self.connections += 1

    def reset(self) -> None:
        """Drop a connection that may be broken, without waiting for a polite QUIT."""
        smtp = self.smtp
        self.is_closed = True
        self.smtp = None  # type: ignore[assignment]
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass

    def close(self) -> None:
        if self.smtp is not None and self.is_closed is False:
            super().close()
        self.is_closed = True
        self.smtp = None  # type: ignore[assignment]

    def deliver(self, recipients: list[str], data: bytes, envelope_from: str | None = None) -> SmtpAnswer:
        """MAIL, RCPT, DATA on the open connection (opened first if needed); the DATA answer.
        `envelope_from` (MAIL FROM, where bounces go) defaults to the transport's."""
        self.connect()
        smtp = self.smtp
        try:
            smtp.ehlo_or_helo_if_needed()
            code, resp = smtp.mail(envelope_from or self.envelope_from)
            if code != 250:
                self._fail(smtp, code, resp)
            refused = []
            for r in recipients:
                code, resp = smtp.rcpt(r)
                if code not in (250, 251):
                    refused.append((code, resp))
            if len(refused) == len(recipients):
                code, resp = refused[0]
                self._fail(smtp, code, resp)
            code, resp = smtp.data(data)
            if code != 250:
                self._fail(smtp, code, resp)
        except DeliveryError:
            raise
        except smtplib.SMTPDataError as exc:
            self._after_error(exc.smtp_code)
            raise DeliveryError(exc.smtp_code, _text(exc.smtp_error), permanent=500 <= exc.smtp_code < 600,
                                connection_lost=exc.smtp_code == 421) from None
        except smtplib.SMTPResponseException as exc:
            self._after_error(exc.smtp_code)
            raise DeliveryError(exc.smtp_code, _text(exc.smtp_error), permanent=500 <= exc.smtp_code < 600,
                                connection_lost=exc.smtp_code == 421) from None
        except (smtplib.SMTPServerDisconnected, socket.timeout, OSError) as exc:
            self.reset()
            raise DeliveryError(None, f"connection lost: {exc or type(exc).__name__}", permanent=False,
                                connection_lost=True) from None
        return SmtpAnswer(code, _text(resp))

    def _after_error(self, code: int) -> None:
        if code == 421:
            self.reset()

    def _fail(self, smtp, code: int, resp) -> None:
        if code == 421 or code == -1:
            self.reset()
        else:
            try:
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.reset()
        raise DeliveryError(code, _text(resp), permanent=500 <= code < 600, connection_lost=code in (421, -1))

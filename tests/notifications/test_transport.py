"""The seam to yagmail: pinned version, its connection reused, our bytes sent unchanged."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import inspect

import yagmail

from notifications.mime import Envelope, build, new_message_id
from notifications.transport import YAGMAIL_VERSION, DeliveryError, YagTransport
from tests.notifications.conftest import settings_for


def _message(i: int, to: str = "a@example.dk") -> bytes:
    env = Envelope("kvalitetsloop@aarhus.example.dk", "Børn og Unge", to, "Åse Ærø", f"Påmindelse {i}",
                   new_message_id("kvalitetsloop.aarhus.example.dk"), dt.datetime(2027, 5, 1, 9, tzinfo=dt.timezone.utc))
    return build(env, f"Linje 1\nLinje 2 {i}\n", f"<p>Linje {i}</p>")


def test_yagmail_is_the_pinned_version_and_has_the_seam_we_use():
    assert importlib.metadata.version("yagmail") == YAGMAIL_VERSION == yagmail.__version__
    assert issubclass(YagTransport, yagmail.SMTP)
    for name in ("login", "close", "_login"):
        assert callable(getattr(yagmail.SMTP, name))
    params = inspect.signature(yagmail.SMTP.__init__).parameters
    for p in ("user", "password", "host", "port", "smtp_starttls", "smtp_ssl", "smtp_skip_login", "soft_email_validation"):
        assert p in params
    # yagmail's own send() would open a connection per call (why we hand it prebuilt bytes instead)
    assert "self.login()" in inspect.getsource(yagmail.SMTP.send)


def test_one_connection_for_a_batch_and_bytes_arrive_unchanged(smtp):
    t = YagTransport.from_settings(settings_for(smtp.port))
    sent = [_message(i) for i in range(20)]
    answers = [t.deliver(["a@example.dk"], m) for m in sent]
    t.close()
    assert smtp.connections == 1 and t.connections == 1
    assert all(a.code == 250 and "queued" in a.text for a in answers)
    assert [m.data for m in smtp.messages] == sent
    # text keeps its line breaks (yagmail would have turned them into <br>)
    assert smtp.messages[0].message.get_body(("plain",)).get_content().replace("\r\n", "\n").startswith("Linje 1\nLinje 2 0")


def test_refused_recipient_is_permanent_and_the_connection_stays_usable(smtp):
    smtp.refuse_rcpt["nobody@example.dk"] = "550 5.1.1 No such user"
    t = YagTransport.from_settings(settings_for(smtp.port))
    try:
        t.deliver(["nobody@example.dk"], _message(1, "nobody@example.dk"))
        raise AssertionError("no error")
    except DeliveryError as exc:
        assert exc.permanent and exc.code == 550 and not exc.connection_lost
    assert t.deliver(["a@example.dk"], _message(2)).code == 250
    t.close()
    assert smtp.connections == 1


def test_temporary_answers_are_not_permanent(smtp):
    smtp.data_answers += ["451 4.3.0 Try again later"]
    t = YagTransport.from_settings(settings_for(smtp.port))
    try:
        t.deliver(["a@example.dk"], _message(1))
        raise AssertionError("no error")
    except DeliveryError as exc:
        assert not exc.permanent and exc.code == 451
    assert t.deliver(["a@example.dk"], _message(2)).code == 250
    t.close()

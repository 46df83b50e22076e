"""Group robots (企业微信, 钉钉): the sweep's reminders and a hand nudge are posted to the agency's and
the document's robots beside the email, once per robot and key however often the sweep runs and
whoever sends; DingTalk posts are signed; a refusal is retried, then fails visibly. A local HTTP
server stands in for the services."""

import base64
import datetime
import hashlib
import hmac
import json
import threading
import urllib.parse
import zoneinfo
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from notifications import channels, recording
from notifications.models import Notification, Webhook, WebhookDelivery
from tests.notifications.conftest import DUE
from tracker import services

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


class Robot(BaseHTTPRequestHandler):
    received: list = []
    answer = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append((self.path, json.loads(self.rfile.read(length))))
        body = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    Robot.received = []
    Robot.answer = {"errcode": 0, "errmsg": "ok"}
    server = HTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _sweep(day):
    return recording.sweep_run(
        at=datetime.datetime.combine(day, datetime.time(9), tzinfo=SH), on_recorded=lambda ids: None
    )


def test_the_sweep_posts_each_reminder_once_per_robot(eager_celery, world, robot, django_capture_on_commit_callbacks):
    Webhook.objects.create(agency=world.lead_agency, service="wecom", url=f"{robot}/cgi-bin/webhook/send?key=k")
    Webhook.objects.create(
        document=world.task.document, service="dingtalk", url=f"{robot}/robot/send?access_token=t", secret="SECabc"
    )
    day = DUE - datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        _sweep(day)
        _sweep(day)
    deliveries = WebhookDelivery.objects.all()
    assert deliveries.count() == 2 and {d.status for d in deliveries} == {"sent"}
    paths = sorted(path.split("?")[0] for path, _ in Robot.received)
    assert paths == ["/cgi-bin/webhook/send", "/robot/send"]
    (wecom,) = [body for path, body in Robot.received if path.startswith("/cgi-bin")]
    assert wecom["msgtype"] == "text" and "建设跨境电商平台" in wecom["text"]["content"]
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() >= 1  # the email goes too


def test_dingtalk_is_signed_as_its_documentation_says(world, robot):
    hook = Webhook(
        document=world.task.document, service="dingtalk", url=f"{robot}/robot/send?access_token=t", secret="SECxyz"
    )
    url = channels.DingTalk().signed_url(hook, now_ms=1700000000000)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    expected = base64.b64encode(hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()).decode()
    assert query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]


def test_a_hand_nudge_is_posted_and_a_refusal_retried_then_failed(
    eager_celery, world, robot, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0
    Webhook.objects.create(agency=world.lead_agency, service="wecom", url=f"{robot}/cgi-bin/webhook/send?key=k")
    Robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    with django_capture_on_commit_callbacks(execute=True):
        services.task_nudge(task=world.task, user=world.coordinator, comment="请尽快报送")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1 and "93000" in delivery.last_error
    for _ in range(channels.MAX_ATTEMPTS):
        channels.deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == channels.MAX_ATTEMPTS
    Robot.answer = {"errcode": 0}
    assert channels.deliveries_send([delivery.pk]) == {"sent": 0, "failed": 0, "retry": 0}


def test_no_robot_no_post(world, robot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sweep(DUE - datetime.timedelta(days=7))
    assert not WebhookDelivery.objects.exists() and Robot.received == []


def test_coordinators_connect_and_remove_robots_on_the_page(world, client):
    client.force_login(world.coordinator)
    page = client.get("/notifications/webhooks/")
    assert page.status_code == 200
    refused = client.post(
        "/notifications/webhooks/",
        {"service": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t"},
    )
    assert refused.status_code == 400 and not Webhook.objects.exists()  # neither agency nor document, no secret
    made = client.post(
        "/notifications/webhooks/",
        {
            "agency": world.lead_agency.pk,
            "service": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        },
    )
    assert made.status_code == 302
    hook = Webhook.objects.get()
    client.force_login(world.lead)
    assert client.get("/notifications/webhooks/").status_code == 403
    assert client.post(f"/notifications/webhooks/{hook.pk}/delete/").status_code == 404
    client.force_login(world.coordinator)
    client.post(f"/notifications/webhooks/{hook.pk}/delete/")
    assert not Webhook.objects.exists()

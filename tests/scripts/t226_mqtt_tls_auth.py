#!/usr/bin/env python3
"""t226: MQTT over TLS with a CA made by the test, and a password from
password_file.

mosquitto listens with a certificate from a throw-away CA and a
password file made by mosquitto_passwd; anonymous clients are refused.
Checked:
  - labwarden verifies the broker with mqtt.ca_file (a path relative to
    the config), logs in with username and password_file, and its
    config and events arrive;
  - a wrong password: exit 1 and a message naming the broker that says
    the broker refused it and points at mqtt.password_file;
  - a CA that did not sign the broker's certificate: a message naming
    the broker and the failed certificate check, nothing published;
  - a plain `password:` is refused by `labwarden check` at its
    file:line:col;
  - the password appears nowhere: not on stdout, stderr, -o, state
    files or in any MQTT message.

usage: t226_mqtt_tls_auth.py LABWARDEN PCAPS_DIR
"""
import os
import subprocess
import sys
import tempfile

from fakeapi.base import make_pki
from lwtest import check, finish, run, sanitizer_report
from mqttlite import Broker, Client, retained

USER, SECRET = "lwsensor", "t226-Zq8yJ1-secret"
SENSOR_CFG = "homeassistant/device/labwarden_t226/config"


def write_config(path, port, ca, password_file, extra=""):
    with open(path, "w") as f:
        f.write(f"mqtt:\n  port: {port}\n  sensor_id: t226\n"
                f"  tls: true\n  ca_file: {ca}\n  username: {USER}\n"
                f"  password_file: {password_file}\n"
                "  flush_timeout: 2s\n  reconnect_max: 1s\n" + extra)


def everything_written(tmp):
    """Every file the runs left, as text."""
    text = []
    for root, _, files in os.walk(tmp):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                text.append(f.read().decode("utf-8", "replace"))
    return "\n".join(text)


def main():
    lw, pcaps = (os.path.abspath(a) for a in sys.argv[1:3])
    demo = os.path.join(pcaps, "demo.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(os.path.join(tmp, "pki"))
        pwfile = os.path.join(tmp, "broker.passwd")
        subprocess.run(["mosquitto_passwd", "-c", "-b", pwfile, USER, SECRET],
                       check=True, capture_output=True, timeout=30)
        broker = Broker(tmp, extra=(
            f"cafile {pki['ca']}\ncertfile {pki['cert']}\n"
            f"keyfile {pki['key']}\nallow_anonymous false\n"
            f"password_file {pwfile}\n")).start()
        conf_dir = os.path.join(tmp, "etc")
        os.mkdir(conf_dir)
        with open(os.path.join(conf_dir, "mqtt.pass"), "w") as f:
            f.write(SECRET + "\n")
        with open(os.path.join(conf_dir, "wrong.pass"), "w") as f:
            f.write("not-the-password\n")
        os.symlink(pki["ca"], os.path.join(conf_dir, "ca.pem"))
        outputs = []
        try:
            watch = Client(broker.port, "t226-watch", username=USER,
                           password=SECRET, ca=pki["ca"]).connect()
            watch.subscribe("#")

            cfg = os.path.join(conf_dir, "lw.yaml")
            write_config(cfg, broker.port, "ca.pem", "mqtt.pass")
            state = os.path.join(tmp, "state")
            os.mkdir(state)
            res = run([lw, "replay", "-c", cfg, "--state", state, "--emit",
                       "scene", demo])
            outputs += [res.stdout, res.stderr]
            check(res.returncode == 0 and not sanitizer_report(res.stderr),
                  f"TLS and password: replay exits 0 "
                  f"({res.stderr.strip()[-300:]})")
            events = watch.wait(lambda m: m.topic == "labwarden/t226/event",
                                count=len(res.stdout.splitlines()))
            check(len(events) == len(res.stdout.splitlines()) > 0,
                  f"its {len(events)} scene events arrived over TLS")
            snap = retained(broker.port, username=USER, password=SECRET,
                            ca=pki["ca"])
            check(SENSOR_CFG in snap, "its discovery config is retained")

            write_config(cfg, broker.port, "ca.pem", "wrong.pass")
            res = run([lw, "replay", "-c", cfg, "--emit", "none", demo])
            outputs += [res.stdout, res.stderr]
            where = f"127.0.0.1:{broker.port}"
            check(res.returncode == 1 and not sanitizer_report(res.stderr)
                  and f"{where} refused the connection" in res.stderr and
                  "not authorised" in res.stderr and
                  "password_file" in res.stderr,
                  f"a wrong password: exit 1, clear message "
                  f"({res.stderr.strip()[:300]})")

            write_config(cfg, broker.port, pki["other_ca"], "mqtt.pass")
            mark = watch.mark()
            res = run([lw, "replay", "-c", cfg, "--emit", "none", demo])
            outputs += [res.stdout, res.stderr]
            check(res.returncode == 1 and where in res.stderr and
                  not sanitizer_report(res.stderr) and
                  "certificate verify failed" in res.stderr and
                  not watch.where(lambda m: "t226" in m.topic, since=mark),
                  f"a CA that did not sign the broker: refused, nothing "
                  f"published ({res.stderr.strip()[:300]})")

            with open(cfg, "a") as f:
                f.write(f"  password: {SECRET}\n")
            res = run([lw, "check", "-c", cfg])
            outputs += [res.stdout, res.stderr]
            check(res.returncode == 2 and f"{cfg}:10:" in res.stderr and
                  "secrets are not config values" in res.stderr,
                  f"a plain password: is refused at file:line:col "
                  f"({res.stderr.strip()[:200]})")

            seen = " ".join(m.text() for m in watch.messages)
            check(SECRET not in " ".join(outputs) and SECRET not in seen and
                  SECRET not in everything_written(state),
                  "the password is in no output and no MQTT message")
            watch.close()
        finally:
            broker.stop()
    finish()


if __name__ == "__main__":
    main()

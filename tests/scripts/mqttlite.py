"""A small MQTT 3.1.1 client and a mosquitto broker for the MQTT tests.

Debian's mosquitto is the broker (started on a free port on 127.0.0.1
with a generated config); the client is written out here, on a plain
socket, so the tests need no extra Python package and can see exactly
what the broker delivers (the retain flag above all).

    broker = Broker(tmpdir).start()
    sub = Client(broker.port, "t224-watch").connect()
    sub.subscribe("#")
    ... sub.messages ...   # [Message(topic, payload, retain, qos, time)]
    sub.publish("homeassistant/status", b"online")
    broker.stop(); broker.start()   # the same port and config again
"""
import os
import pwd
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Message:
    def __init__(self, topic, payload, retain, qos, dup):
        self.topic = topic
        self.payload = payload      # bytes
        self.retain = retain
        self.qos = qos
        self.dup = dup
        self.time = time.monotonic()

    def text(self):
        return self.payload.decode("utf-8", "replace")

    def __repr__(self):
        return f"<{self.topic} {'R ' if self.retain else ''}{self.payload[:60]!r}>"


def _string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def _packet(first, body):
    n, out = len(body), bytearray([first])
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + body


class MQTTError(Exception):
    pass


class Client:
    """One connection; a reader thread collects messages and acks QoS 1."""

    def __init__(self, port, client_id, host="127.0.0.1", clean=True,
                 username=None, password=None, ca=None, keepalive=30):
        self.host, self.port, self.client_id = host, port, client_id
        self.clean, self.username, self.password = clean, username, password
        self.ca, self.keepalive = ca, keepalive
        self.messages = []
        self.lock = threading.Lock()
        self.sock = None
        self.next_id = 1
        self.alive = False
        self.subs = []

    # -- connection --
    def connect(self, timeout=5):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        if self.ca:
            ctx = ssl.create_default_context(cafile=self.ca)
            s = ctx.wrap_socket(s, server_hostname=self.host)
        flags = 0x02 if self.clean else 0
        payload = _string(self.client_id)
        if self.username is not None:
            flags |= 0x80
            payload += _string(self.username)
        if self.password is not None:
            flags |= 0x40
            payload += _string(self.password)
        body = _string("MQTT") + bytes([4, flags]) + \
            struct.pack("!H", self.keepalive) + payload
        s.sendall(_packet(0x10, body))
        first, data = self._read_packet(s)
        if first >> 4 != 2 or len(data) != 2:
            raise MQTTError("no CONNACK")
        if data[1] != 0:
            raise MQTTError(f"CONNACK refused: {data[1]}")
        s.settimeout(0.2)
        self.sock = s
        self.alive = True
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()
        return self

    def reconnect(self, within=15):
        """Connect again (same id), retrying until the broker is back."""
        self.close()
        deadline = time.monotonic() + within
        while True:
            try:
                self.connect()
                if self.subs:
                    self.subscribe(*self.subs)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self):
        self.alive = False
        if self.sock:
            try:
                self.sock.sendall(_packet(0xE0, b""))
            except OSError:
                pass
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if getattr(self, "reader", None):
            self.reader.join(2)

    # -- sending --
    def _pid(self):
        pid = self.next_id
        self.next_id = self.next_id % 65535 + 1
        return pid

    def subscribe(self, *topics):
        self.subs = list(topics)
        body = struct.pack("!H", self._pid())
        for t in topics:
            body += _string(t) + b"\x01"
        self.sock.sendall(_packet(0x82, body))
        time.sleep(0.2)         # the SUBACK; retained messages follow

    def publish(self, topic, payload, qos=0, retain=False):
        if isinstance(payload, str):
            payload = payload.encode()
        first = 0x30 | (qos << 1) | (1 if retain else 0)
        body = _string(topic)
        if qos:
            body += struct.pack("!H", self._pid())
        self.sock.sendall(_packet(first, body + payload))

    # -- receiving --
    @staticmethod
    def _read_exact(s, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = s.recv(n - len(buf))
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _read_rest(self, s):
        mult, length = 1, 0
        while True:
            b = self._read_exact(s, 1)[0]
            length += (b & 127) * mult
            mult *= 128
            if not b & 128:
                break
        return self._read_exact(s, length)

    def _read_packet(self, s):
        first = self._read_exact(s, 1)[0]
        return first, self._read_rest(s)

    def _read_loop(self):
        last_ping = time.monotonic()
        while self.alive:
            try:
                try:
                    b = self.sock.recv(1)
                except (socket.timeout, ssl.SSLWantReadError):
                    b = None
                if b == b"":
                    break
                if b:
                    self._handle(b[0], self._read_rest(self.sock))
                if time.monotonic() - last_ping > self.keepalive / 2:
                    self.sock.sendall(_packet(0xC0, b""))
                    last_ping = time.monotonic()
            except (OSError, EOFError, ValueError, AttributeError):
                break
        self.alive = False

    def _handle(self, first, data):
        if first >> 4 != 3:
            return
        qos, retain, dup = (first >> 1) & 3, bool(first & 1), bool(first & 8)
        tlen = struct.unpack("!H", data[:2])[0]
        topic = data[2:2 + tlen].decode("utf-8", "replace")
        rest = data[2 + tlen:]
        if qos:
            pid, rest = rest[:2], rest[2:]
            self.sock.sendall(_packet(0x40, pid))
        with self.lock:
            self.messages.append(Message(topic, rest, retain, qos, dup))

    # -- looking at what came --
    def on(self, topic, since=0):
        with self.lock:
            return [m for m in self.messages[since:] if m.topic == topic]

    def where(self, pred, since=0):
        with self.lock:
            return [m for m in self.messages[since:] if pred(m)]

    def wait(self, pred, timeout=10, since=0, count=1):
        """Wait until count messages after index since satisfy pred."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.where(pred, since)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.where(pred, since)

    def mark(self):
        with self.lock:
            return len(self.messages)


def retained(port, topic="#", wait=1.0, **kw):
    """Every retained message on the broker under topic: {topic: bytes}."""
    c = Client(port, f"lw-snapshot-{os.getpid()}-{time.monotonic_ns()}",
               **kw).connect()
    c.subscribe(topic)
    time.sleep(wait)
    c.close()
    out = {}
    for m in c.messages:
        if m.retain:
            out[m.topic] = m.payload
    return out


class Broker:
    """mosquitto on 127.0.0.1 and a free port, from a generated config."""

    def __init__(self, tmpdir, extra="", persistence=False, port=None):
        self.dir = tmpdir
        self.port = port or free_port()
        self.conf = os.path.join(tmpdir, f"mosquitto-{self.port}.conf")
        self.log = os.path.join(tmpdir, f"mosquitto-{self.port}.log")
        lines = [f"listener {self.port} 127.0.0.1",
                 # as root, mosquitto would become user "mosquitto",
                 # who cannot read the test's private directory
                 "user " + pwd.getpwuid(os.geteuid()).pw_name,
                 "log_type error", "log_type warning", "log_type notice",
                 f"log_dest file {self.log}"]
        if persistence:
            # saved every second, so a kill -9 keeps the sessions
            lines += ["persistence true", "autosave_interval 1",
                      f"persistence_location {tmpdir}/",
                      f"persistence_file mosquitto-{self.port}.db"]
        if "allow_anonymous" not in extra:
            lines.append("allow_anonymous true")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)
        self.proc = None

    def start(self, timeout=10):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited: " +
                                   self.proc.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2
                                         ).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

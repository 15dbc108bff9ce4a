"""Engine.IO codec: round trips, the real captures of PROTOCOL.md, and hostile input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_socketio.wire import ProtocolError
from flask_socketio.wire import engineio as eio

texts = st.text(max_size=50)
blobs = st.binary(max_size=50)
packets = st.one_of(
    st.builds(eio.Packet, st.integers(0, 6), texts),
    st.builds(eio.Packet, st.just(eio.MESSAGE), blobs.filter(bool)),
    st.builds(eio.Packet, st.integers(1, 6)),
)


@given(st.lists(packets, min_size=1, max_size=8), st.sampled_from([3, 4]), st.booleans())
def test_payload_round_trip(items, version, b64):
    if version == 4:
        items = [p for p in items if not p.binary or p.type == eio.MESSAGE] or items[:1]
        items = [p for p in items if not (isinstance(p.data, str) and "\x1e" in p.data)]
        if not items:
            return
    body, _ = eio.encode_payload(items, version, b64)
    decoded = eio.decode_payload(body, version)
    expected = [eio.Packet(p.type, p.data or None) if not p.binary else p for p in items]
    assert [(p.type, p.data or None) for p in decoded] == [(p.type, p.data) for p in expected]


@given(packets, st.sampled_from([3, 4]), st.booleans())
def test_websocket_frame_round_trip(packet, version, b64):
    if version == 4 and packet.binary and packet.type != eio.MESSAGE:
        return
    decoded = eio.decode_packet(packet.frame(version, b64), version)
    assert (decoded.type, decoded.data or None) == (packet.type, packet.data or None)


@given(st.binary(max_size=200), st.sampled_from([3, 4]), st.booleans())
def test_arbitrary_payload_bytes_raise_only_protocol_error(body, version, jsonp):
    try:
        eio.decode_payload(body, version, jsonp)
    except ProtocolError:
        pass


@given(st.one_of(st.text(max_size=100), st.binary(max_size=100)), st.sampled_from([3, 4]))
def test_arbitrary_frames_raise_only_protocol_error(frame, version):
    try:
        eio.decode_packet(frame, version)
    except ProtocolError:
        pass


def test_v4_payload_capture():
    body = b'40{"token":"abc"}\x1e40/admin,'
    assert eio.decode_payload(body, 4) == [
        eio.Packet(4, '0{"token":"abc"}'),
        eio.Packet(4, "0/admin,"),
    ]
    out, ctype = eio.encode_payload([eio.Packet(4, "61-0[...]"), eio.Packet(4, b"\x01\x02\x03")], 4)
    assert out == b"461-0[...]\x1ebAQID" and ctype.startswith("text/plain")


def test_v3_text_lengths_count_utf16_units():
    body, _ = eio.encode_payload([eio.Packet(4, '30["€"]'), eio.Packet(4, "2😀")], 3)
    assert body.decode() == '8:430["€"]4:42😀'
    assert eio.decode_payload(body, 3) == [eio.Packet(4, '30["€"]'), eio.Packet(4, "2😀")]


def test_v3_binary_payload_capture():
    body = bytes.fromhex(
        "000407ff3435312d5b2262696e222c22e282ac222c7b225f706c616365686f6c646572223a"
        "747275652c226e756d223a307d5d0105ff0401020304"
    )
    decoded = eio.decode_payload(body, 3)
    assert decoded == [
        eio.Packet(4, '51-["bin","€",{"_placeholder":true,"num":0}]'),
        eio.Packet(4, b"\x01\x02\x03\x04"),
    ]
    encoded, ctype = eio.encode_payload(decoded, 3)
    assert encoded == body and ctype == "application/octet-stream"


def test_v3_b64_payload_capture():
    packets = [
        eio.Packet(4, '51-["bin","€",{"_placeholder":true,"num":0}]'),
        eio.Packet(4, b"\x01\x02\x03\x04"),
    ]
    body, _ = eio.encode_payload(packets, 3, b64=True)
    assert body.decode() == '45:451-["bin","€",{"_placeholder":true,"num":0}]10:b4AQIDBA=='


def test_jsonp_encoding_and_post():
    body, _ = eio.encode_payload([eio.Packet(4, '30["a"]')], 3, jsonp="0")
    assert body.decode() == '___eio[0]("8:430[\\"a\\"]");'
    assert eio.decode_payload(b"d=15%3A420%5B%22echo%22%2C%22a%22%5D", 3, jsonp=True) == [
        eio.Packet(4, '20["echo","a"]')
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"x:40",
        b"5:40",
        b"99999999999:4",
        b"2:4",
        b"\x00\x0a\xff4",
        b"\x00\x01\x02",
        b"\x01\x03\xff\x04",
        b"",
        b"\x02\x01\xff4",
    ],
)
def test_malformed_v3_payloads(body):
    with pytest.raises(ProtocolError):
        eio.decode_payload(body, 3)


@pytest.mark.parametrize(
    "value,ok",
    [
        ("0", True),
        ("12", True),
        ("", False),
        ("0;alert(1)", False),
        ("a", False),
        ("1" * 20, False),
    ],
)
def test_jsonp_index(value, ok):
    assert eio.valid_jsonp_index(value) is ok


def test_broadcast_packet_encodes_once():
    packet = eio.Packet(eio.MESSAGE, '2["x"]')
    assert packet.text(4) is packet.text(4)
    binary = eio.Packet(eio.MESSAGE, b"\x01")
    assert binary.frame(3) is binary.frame(3)

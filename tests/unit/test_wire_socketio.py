"""Socket.IO codec: round trips with binary attachments, captures, hostile input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_socketio.wire import ProtocolError
from flask_socketio.wire import socketio as sio

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=10),
    st.binary(max_size=8),
)
json_values = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
namespaces = st.sampled_from(["/", "/chat", "/a/b"])
event_names = st.text(min_size=1, max_size=10).filter(lambda s: s not in sio.RESERVED_EVENTS)


def _decode_all(parts):
    # Round trips may carry more attachments than a server accepts by default.
    decoder = sio.Decoder(max_attachments=len(parts))
    result = None
    for part in parts:
        result = decoder.feed(part)
    return result


@given(
    namespaces, event_names, st.lists(json_values, max_size=4), st.none() | st.integers(0, 10**9)
)
def test_event_round_trip(namespace, name, args, ack_id):
    parts = sio.encode(sio.Packet(sio.EVENT, namespace, [name, *args], ack_id))
    packet = _decode_all(parts)
    assert packet.namespace == namespace and packet.id == ack_id
    assert packet.data == _normalise([name, *args])
    assert packet.type == (sio.BINARY_EVENT if len(parts) > 1 else sio.EVENT)


def _normalise(value):
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


@given(st.lists(st.one_of(st.text(max_size=60), st.binary(max_size=20)), min_size=1, max_size=4))
def test_arbitrary_input_raises_only_protocol_error(items):
    decoder = sio.Decoder()
    for item in items:
        try:
            decoder.feed(item)
        except ProtocolError:
            decoder = sio.Decoder()


@pytest.mark.parametrize(
    "text,expected",
    [
        ('2["foo"]', sio.Packet(sio.EVENT, "/", ["foo"])),
        ('2/admin,["bar"]', sio.Packet(sio.EVENT, "/admin", ["bar"])),
        ('212["foo"]', sio.Packet(sio.EVENT, "/", ["foo"], 12)),
        ('3/admin,13["bar"]', sio.Packet(sio.ACK, "/admin", ["bar"], 13)),
        ("1", sio.Packet(sio.DISCONNECT)),
        ("1/admin,", sio.Packet(sio.DISCONNECT, "/admin")),
        ("0/admin", sio.Packet(sio.CONNECT, "/admin")),
        ('0/admin,{"token":"s3cret"}', sio.Packet(sio.CONNECT, "/admin", {"token": "s3cret"})),
        ("0/admin?token=s3cret,", sio.Packet(sio.CONNECT, "/admin", query="token=s3cret")),
    ],
)
def test_captured_packets(text, expected):
    assert sio.Decoder().feed(text) == expected


def test_binary_capture():
    parts = sio.encode(sio.Packet(sio.ACK, "/", [b"\x09\x08"], 2))
    assert parts == ['61-2[{"_placeholder":true,"num":0}]', b"\x09\x08"]
    decoder = sio.Decoder()
    assert decoder.feed('451-2["echo",{"_placeholder":true,"num":0}]'[1:]) is None
    assert decoder.feed(b"\x09\x08") == sio.Packet(sio.BINARY_EVENT, "/", ["echo", b"\x09\x08"], 2)


def test_nested_binary_placeholders_depth_first():
    parts = sio.encode(sio.Packet(sio.EVENT, "/", ["e", {"a": [b"1", {"b": b"2"}]}, b"3"]))
    assert parts[1:] == [b"1", b"2", b"3"]
    assert parts[0].startswith("53-")


@pytest.mark.parametrize(
    "text",
    [
        "4abc",
        "2{}",
        "2abc[1]",
        '2["connect"]',
        "2[]",
        "2[true]",
        '3["x"]',
        "7",
        "",
        '5-["a"]',
        '511-["a"]',
        '5x-["a"]',
        "2" + "[" * 100000,
        '1{"a":1}',
        '0"str"',
        "2" + "1" * 40 + '["a"]',
    ],
)
def test_malformed_packets(text):
    with pytest.raises(ProtocolError):
        sio.Decoder().feed(text)


def test_attachment_out_of_range_and_interleaved_text():
    decoder = sio.Decoder()
    decoder.feed('51-["a",{"_placeholder":true,"num":3}]')
    with pytest.raises(ProtocolError):
        decoder.feed(b"x")
    decoder = sio.Decoder()
    decoder.feed('51-["a",{"_placeholder":true,"num":0}]')
    with pytest.raises(ProtocolError):
        decoder.feed('2["b"]')
    with pytest.raises(ProtocolError):
        sio.Decoder().feed(b"orphan")


def test_compact_json_and_custom_module():
    import json

    class Loud:
        @staticmethod
        def dumps(obj, **kwargs):
            return json.dumps(obj, **kwargs).upper()

        loads = staticmethod(json.loads)

    assert sio.encode(sio.Packet(sio.EVENT, "/", ["a", {"k": 1}])) == ['2["a",{"k":1}]']
    assert sio.encode(sio.Packet(sio.EVENT, "/", ["a"]), Loud) == ['2["A"]']

"""Stream framing of the simulator, and that garbage never breaks the decoder."""

from hypothesis import given
from hypothesis import strategies as st

from hub.mesh.sim.framing import FrameDecoder, encode_frame


def test_frames_round_trip_across_chunk_boundaries() -> None:
    stream = b"\xc3" * 32 + encode_frame(b"one") + b"log line\n" + encode_frame(b"two")
    decoder = FrameDecoder()
    frames = [f for i in range(len(stream)) for f in decoder.feed(stream[i : i + 1])]
    assert frames == [b"one", b"two"]
    assert decoder.skipped_bytes == 32 + len(b"log line\n")


def test_oversized_length_is_skipped_and_decoder_resyncs() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\x94\xc3\xff\xff" + b"x" * 10 + encode_frame(b"ok")) == [b"ok"]
    assert decoder.oversized_frames == 1


def test_truncated_frame_waits_for_the_rest() -> None:
    frame = encode_frame(b"hello")
    decoder = FrameDecoder()
    assert decoder.feed(frame[:5]) == []
    assert decoder.feed(frame[5:]) == [b"hello"]


@given(st.binary(max_size=2000), st.binary(max_size=100))
def test_garbage_then_a_frame_still_decodes_the_frame(garbage: bytes, payload: bytes) -> None:
    decoder = FrameDecoder()
    decoder.feed(garbage)
    # an incomplete frame announced by the garbage may swallow what follows; a long
    # run of zero bytes always completes it (max 512), then the real frame is found
    decoder.feed(b"\x00" * 520)
    assert decoder.feed(encode_frame(payload))[-1:] == [payload]

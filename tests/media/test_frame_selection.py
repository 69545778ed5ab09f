"""The model-frame rule of the VisionReward reference (inference-video.py, load_video 'chat'):
for second in range(round(max(ts)) + 1) take the first frame closest to that second, stop at 24."""

from tests.media.conftest import ffmpeg_make
from worker.media import moov_before_mdat, select_model_frames


def indices(picks):
    return [index for index, _, _ in picks]


def test_constant_frame_rate_picks_one_frame_per_second():
    timestamps = [i / 8 for i in range(49)]  # the 8 fps, 6.125 s sample
    picks = select_model_frames(timestamps)
    assert indices(picks) == [0, 8, 16, 24, 32, 40, 48]
    assert [second for _, _, second in picks] == list(range(7))


def test_the_last_second_is_the_rounded_last_timestamp():
    # 10 fps, 3 s: last frame at 2.9 s rounds to 3, so second 3 is taken (frame 29, the nearest).
    picks = select_model_frames([i / 10 for i in range(30)])
    assert indices(picks) == [0, 10, 20, 29]
    # Python's round sends halves to even: a last frame at 2.5 s stops at second 2.
    assert len(select_model_frames([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])) == 3
    assert len(select_model_frames([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5])) == 5  # round(3.5) == 4


def test_the_cap_keeps_the_first_seconds():
    timestamps = [i * 0.5 for i in range(120)]  # 60 s at 2 fps
    picks = select_model_frames(timestamps, max_frames=24)
    assert [second for _, _, second in picks] == list(range(24))
    assert indices(picks) == [2 * s for s in range(24)]
    assert len(select_model_frames(timestamps, max_frames=5)) == 5
    assert select_model_frames(timestamps, max_frames=0) == []


def test_ties_take_the_earlier_frame_and_repeats_are_kept():
    # 0.5 fps: seconds 1 and 3 are equally far from two frames; the earlier one wins, as in
    # the reference (min() keeps the first of equals), and a frame may be picked twice.
    picks = select_model_frames([0.0, 2.0, 4.0])
    assert indices(picks) == [0, 0, 1, 1, 2]


def test_real_timestamps_are_used_not_an_assumed_rate():
    timestamps = [i * 0.05 for i in range(10)] + [0.5 + i * 0.25 for i in range(20)]
    picks = select_model_frames(timestamps)
    assert indices(picks) == [0, 12, 16, 20, 24, 28]
    assert select_model_frames([]) == []


def test_moov_before_mdat_reads_the_box_order(tmp_path):
    args = ("-f", "lavfi", "-i", "testsrc=s=32x32:r=5:d=1", "-c:v", "libx264", "-preset", "ultrafast")
    plain = ffmpeg_make(tmp_path / "plain.mp4", *args)
    fast = ffmpeg_make(tmp_path / "fast.mp4", *args, "-movflags", "+faststart")
    assert moov_before_mdat(fast) is True
    assert moov_before_mdat(plain) is False
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x01")
    assert moov_before_mdat(junk) is False

"""annotator.storage: the same calls on the filesystem and on a real S3 server (moto)."""

import httpx
import pytest

from annotator import storage
from annotator.storage import s3


@pytest.fixture(params=["filesystem", "s3"])
def backend(request):
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return None


def test_put_local_copy_walk_and_delete_tree(backend, tmp_path):
    media = storage.media_storage()
    built = tmp_path / "built.bin"
    built.write_bytes(b"x" * 3000)
    assert storage.put(media, "projects/1/assets/2/original.bin", built) == "projects/1/assets/2/original.bin"
    assert not built.exists()
    storage.put_bytes(media, "projects/1/assets/2/frames/0.jpg", b"frame")
    with storage.local_copy(media, "projects/1/assets/2/original.bin") as path:
        assert path.read_bytes() == b"x" * 3000
    assert list(storage.walk(media, "projects/1")) == [
        "projects/1/assets/2/original.bin",
        "projects/1/assets/2/frames/0.jpg",
    ]
    with storage.local_tree(media, "projects/1/assets/2") as folder:
        assert (folder / "frames" / "0.jpg").read_bytes() == b"frame"
    storage.delete_tree(media, "projects/1")
    assert list(storage.walk(media, "projects/1")) == []
    with pytest.raises(FileNotFoundError), storage.local_copy(media, "projects/1/assets/2/original.bin"):
        pass
    if backend is not None:
        assert backend.keys() == []


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "a//b", "a/./b", ""])
def test_storage_names_are_never_paths(name):
    with pytest.raises(ValueError):
        storage.clean_name(name)


def test_presigned_get_reads_the_object_with_the_serving_policy_headers(s3_storage):
    media = storage.media_storage()
    storage.put_bytes(media, "projects/1/page.html", b"<script>alert(1)</script>")
    url = s3.presigned_get(
        media, "projects/1/page.html", content_type="application/octet-stream", inline=False, filename="page.html"
    )
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"<script>alert(1)</script>"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    tampered = url.replace("page.html", "other.html")
    assert httpx.get(tampered).status_code == 403

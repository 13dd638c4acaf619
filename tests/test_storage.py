import io

import pytest

from invoice_processor.storage import ObjectNotFound, UnsafeKey, safe_key


def test_object_round_trips_through_store(store):
    data = b"%PDF-1.4\n" + bytes(range(256)) * 20_000  # ~5 MB: S3 multipart above 8 MiB is not needed to stream
    assert store.put("uploads/b1/00000-a.pdf", io.BytesIO(data)) == len(data)
    with store.local_copy("uploads/b1/00000-a.pdf") as path:
        assert path.read_bytes() == data
    store.delete("uploads/b1/00000-a.pdf")
    with pytest.raises(ObjectNotFound):
        with store.local_copy("uploads/b1/00000-a.pdf"):
            pass


def test_store_health_check_passes(store):
    store.check()


@pytest.mark.parametrize("bad", ["../x.pdf", "a/../../x.pdf", "", "/", "a/.."])
def test_key_that_climbs_out_is_refused(bad):
    with pytest.raises(UnsafeKey):
        safe_key("uploads", "batch", bad) if bad not in ("", "/") else safe_key(bad)


def test_absolute_key_stays_relative():
    assert safe_key("uploads", "/etc/x.pdf") == "uploads/etc/x.pdf"


def test_folder_store_never_writes_outside_its_root(folder_store, tmp_path):
    with pytest.raises(UnsafeKey):
        folder_store.put("../escape.pdf", io.BytesIO(b"x"))
    assert not (tmp_path / "escape.pdf").exists()

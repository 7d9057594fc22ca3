"""Several servers on one database share what lives outside it: the uploaded
documents (``TMDESK_DOCUMENTS_DIR``) and the session-signing secret
(``TMDESK_SECRET_KEY_FILE``), so any of them serves a file another stored and
honours a login another made (docs/office.md, "Several servers, one database")."""

from __future__ import annotations

import io
import stat
import sys

import pytest

from tests.helpers import login, post
from tmdesk import paths
from tmdesk.core.models import Document
from tmdesk.web import create_app


def test_documents_go_to_the_shared_folder(app, desk, data_dir, tmp_path, monkeypatch):
    shared = tmp_path / "shared-documents"
    monkeypatch.setenv("TMDESK_DOCUMENTS_DIR", str(shared))
    project = desk.published(tlp="GREEN")
    client = app.test_client()
    login(client, "recipient@example.org")
    response = post(
        client,
        f"/projects/{project.ref}/documents",
        {"file": (io.BytesIO(b"%PDF-1.7 shared plan"), "Plan.pdf")},
        form_page=f"/projects/{project.ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    doc = Document.get(Document.project == project.id)
    assert (shared / doc.stored_name).read_bytes() == b"%PDF-1.7 shared plan"
    assert not (data_dir / "documents").exists()
    assert client.get(f"/documents/{doc.uid}").data == b"%PDF-1.7 shared plan"


def test_servers_with_one_secret_key_file_sign_alike(db, tmp_path, monkeypatch):
    key_file = tmp_path / "shared" / "secret_key"
    monkeypatch.setenv("TMDESK_SECRET_KEY_FILE", str(key_file))
    first = create_app(tmp_path / "a", {"TESTING": True})
    second = create_app(tmp_path / "b", {"TESTING": True})
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) == 64
    assert paths.secret_key_file(tmp_path / "a") == key_file.resolve()
    assert not (tmp_path / "a" / "secret_key").exists()
    if sys.platform != "win32":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_empty_secret_key_file_is_refused_clearly(db, tmp_path, monkeypatch):
    key_file = tmp_path / "secret_key"
    key_file.write_text("")
    monkeypatch.setenv("TMDESK_SECRET_KEY_FILE", str(key_file))
    with pytest.raises(RuntimeError, match="is empty: delete it"):
        create_app(tmp_path / "a", {"TESTING": True})

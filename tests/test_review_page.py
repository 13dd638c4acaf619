"""The review page in a real browser (Debian's chromium, driven through chromium-driver by Selenium), over the
real API served by uvicorn on a local port, a real runner, PostgreSQL and PDFs: upload through the page,
watch the batch finish, open the invoice, see the boxes on its page, correct a value and find the
correction stored. With REVIEW_SCREENSHOTS=<folder>, a screenshot of each page is saved there (the ones in
docs/ come from it)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
import requests

from ingest_api.app import create_app
from invoice_reader.fields import FIELD_NAMES
from tests import pdf_factory
from tests.conftest import free_port

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    not (CHROMEDRIVER and CHROMIUM), reason="needs Debian's chromium and chromium-driver (infra/install.sh)"
)
WAIT_S = 60


def test_the_pages_field_list_is_the_declared_one():
    script = (Path(__file__).resolve().parents[1] / "ingest_api" / "review" / "review.js").read_text()
    declared = re.search(r"const FIELDS = \[(.*?)\n\];", script, re.S).group(1)
    assert tuple(re.findall(r'\["(\w+)", "', declared)) == FIELD_NAMES


@pytest.fixture
def served(request, sessions, folder_store, runner_factory):
    """The API and review page on a real HTTP port, with one runner (API keys required when the test is
    marked with keys_required)."""
    import uvicorn

    runner_factory(folder_store)
    port = free_port()
    app = create_app(sessions, folder_store, require_api_keys=request.node.get_closest_marker("keys_required") is not None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(WAIT_S)
    yield driver
    driver.quit()


def _screenshot(driver, name: str) -> None:
    folder = os.environ.get("REVIEW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"review-{name}.png"))


def test_upload_watch_open_see_boxes_correct(served, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_S)
    pdf_factory.make_text_invoice(tmp_path / "page-test.pdf", invoice_number="PAGE-0001")
    pdf_factory.make_letter(tmp_path / "letter.pdf")

    browser.get(served)  # / sends the browser to the review page
    wait.until(ready.presence_of_element_located((By.ID, "files")))
    browser.find_element(By.ID, "files").send_keys(f"{tmp_path / 'page-test.pdf'}\n{tmp_path / 'letter.pdf'}")
    browser.find_element(By.ID, "upload").click()

    # The batch page follows the progress until both files are done, without a reload.
    wait.until(ready.text_to_be_present_in_element((By.ID, "batch-summary"), "completed: 2 done"))
    _screenshot(browser, "batch")
    browser.get(served + "/review/#/batches")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#batches td.done")))
    assert browser.find_element(By.CSS_SELECTOR, "#batches td.done").text == "2"
    _screenshot(browser, "batches")
    browser.back()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#jobs a[href^='#/invoices/']")))
    browser.find_element(By.CSS_SELECTOR, "#jobs a[href^='#/invoices/']").click()

    # The invoice: its page with a box around each value read from it, the fields beside it.
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#page .box")) >= 5)
    assert browser.find_element(By.ID, "field-invoice_number").get_attribute("value") == "PAGE-0001"
    image = browser.find_element(By.CSS_SELECTOR, "#page img")
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 500
    assert browser.find_elements(By.CSS_SELECTOR, "#page .box[data-field='invoice_number']")
    assert not browser.find_elements(By.CSS_SELECTOR, "#page .box.active")
    browser.find_element(By.ID, "field-invoice_number").click()  # a field shows its box
    (active,) = browser.find_elements(By.CSS_SELECTOR, "#page .box.active")
    assert active.get_attribute("data-field") == "invoice_number"
    checks = browser.find_element(By.ID, "checks").text
    assert "Total without VAT + VAT = total with VAT." in checks
    _screenshot(browser, "invoice")

    # Correct a value: stored as a correction, shown on the page after saving.
    invoice_id = browser.current_url.rsplit("/", 1)[1]
    seller = browser.find_element(By.ID, "field-provider")
    seller.clear()
    seller.send_keys("Atelier Dupont")
    browser.find_element(By.ID, "corrected-by").send_keys("Alice")
    browser.find_element(By.ID, "reviewed").click()
    browser.find_element(By.ID, "save").click()
    wait.until(ready.text_to_be_present_in_element((By.ID, "corrections"), "Alice: provider"))
    _screenshot(browser, "corrected")
    corrections = requests.get(f"{served}/api/v1/invoices/{invoice_id}/corrections", timeout=10).json()["data"]
    assert [(c["field"], c["new_value"], c["corrected_by"]) for c in corrections] == [
        ("provider", "Atelier Dupont", "Alice"), ("reviewed", True, "Alice"),
    ]

    # The other document, with its page.
    browser.get(served + "/review/#/documents")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#documents a[href^='#/documents/']"))).click()
    wait.until(lambda d: d.execute_script(
        "const i = document.querySelector('.page img'); return i && i.complete && i.naturalWidth > 0"))
    _screenshot(browser, "document")


@pytest.mark.keys_required
def test_with_api_keys_the_page_asks_for_one_keeps_it_and_shows_only_that_tenants_data(
    served, browser, sessions, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from ingest_api.auth import create_api_key

    with sessions.begin() as session:
        key = create_api_key(session, "acme")
        other_key = create_api_key(session, "globex")
    pdf_factory.make_letter(tmp_path / "letter.pdf")
    theirs = requests.post(
        f"{served}/api/v1/invoices/batch-upload", headers={"X-API-Key": other_key},
        files=[("files", ("letter.pdf", (tmp_path / "letter.pdf").read_bytes(), "application/pdf"))], timeout=60,
    )
    assert theirs.status_code == 200, theirs.text
    wait = WebDriverWait(browser, WAIT_S)
    browser.get(served + "/review/")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#view .bad")))
    assert "key" in browser.find_element(By.ID, "view").text.lower()
    # With the keyboard alone: the key field, typed, Enter.
    field = browser.find_element(By.ID, "api-key")
    field.send_keys(key, Keys.ENTER)
    # The header row comes with the rows, in one step, once the list has been read.
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#batches tr")))
    assert browser.find_elements(By.CSS_SELECTOR, "#batches tr[data-batch]") == []  # globex's batch is not shown
    browser.refresh()  # kept for the browser session
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#batches tr")))
    assert browser.execute_script("return sessionStorage.getItem('apiKey')") == key

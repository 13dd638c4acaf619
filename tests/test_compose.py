"""The deployment files agree with each other and with the settings: docker-compose.yml, infra/Dockerfile.

No Docker engine is needed: the compose file is read as YAML and its ${VAR:-default} interpolation is done
here, once with the defaults and once with every variable overridden, so that the links between services
(database credentials, bucket, MinIO keys) hold in both cases.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from invoice_processor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "infra" / "Dockerfile"

APP_SERVICES = ("api", "runner", "migrate", "incoming")
# Repositories that no longer serve images: Docker Hub stopped serving MinIO's (they are on quay.io).
GONE_REPOSITORIES = {"docker.io/minio/minio", "docker.io/minio/mc"}
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}

# The variables docker-compose.yml lets people override, with values unlike any default.
OVERRIDES = {
    "POSTGRES_USER": "billing",
    "POSTGRES_PASSWORD": "s3cret-pg",
    "POSTGRES_DB": "billing_db",
    "MINIO_ROOT_USER": "storage-admin",
    "MINIO_ROOT_PASSWORD": "s3cret-minio",
    "S3_BUCKET": "scans",
    "S3_REGION": "eu-west-3",
    "OCR_LANGUAGES": "deu+eng",
    "RUNNER_THREADS": "8",
}

_VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?)([-?])([^}]*))?\}|(\w+))")


def interpolate(value, env: dict[str, str]):
    """The compose file's value with ${VAR}, ${VAR:-default}, ${VAR-default} and $VAR replaced from env,
    and $$ turned into $, as `docker compose` does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        dollar, name, colon, operator, default, bare = match.groups()
        if dollar:
            return "$"
        if bare:
            return env.get(bare, "")
        current = env.get(name)
        missing = current is None or (colon == ":" and current == "")
        if operator == "-" and missing:
            return default
        if operator == "?" and missing:
            raise KeyError(f"{name} is required: {default}")
        return current or ""

    return _VARIABLE.sub(replace, value)


@pytest.fixture(scope="module", params=["defaults", "overridden"])
def services(request) -> dict:
    env = {} if request.param == "defaults" else OVERRIDES
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), env)["services"]


def environment(service: dict) -> dict[str, str]:
    """A service's environment as a dict, whichever of the two compose forms it is written in."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: None if value is None else str(value) for key, value in env.items()}


def command_text(service: dict) -> str:
    parts = [service.get("entrypoint") or [], service.get("command") or []]
    return " ".join(" ".join(part) if isinstance(part, list) else str(part) for part in parts)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of infra/Dockerfile, continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def apt_installed_packages() -> set[str]:
    packages = set()
    for keyword, arguments in dockerfile_instructions():
        if keyword != "RUN":
            continue
        lexer = shlex.shlex(arguments, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        for start in (i for i in range(len(words) - 1) if words[i : i + 2] == ["apt-get", "install"]):
            for word in words[start + 2 :]:
                if word in {"&&", "||", ";", "|"}:
                    break
                if not word.startswith("-"):
                    packages.add(word)
    return packages


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            for word in shlex.split(arguments):
                key, _, value = word.partition("=")
                env[key] = value
    return env


def test_compose_defines_the_database_storage_migrations_api_and_runner(services):
    assert {"postgres", "minio", "minio-init", "migrate", "api", "runner"} <= services.keys()


def test_app_services_are_configured_only_with_known_settings(services):
    for name in APP_SERVICES:
        unknown = environment(services[name]).keys() - SETTING_NAMES
        assert not unknown, f"{name} sets {sorted(unknown)}, which invoice_processor.settings does not read"


def test_api_and_runners_share_database_and_bucket(services):
    shared = ("DATABASE_URL", "S3_ENDPOINT_URL", "S3_BUCKET", "S3_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    api_env = environment(services["api"])
    for name in shared:
        assert api_env.get(name), f"api does not set {name}"
        for other in ("runner", "migrate"):
            assert environment(services[other]).get(name) == api_env[name], f"{other} and api differ on {name}"


def test_database_url_reaches_the_postgres_service_with_its_credentials(services):
    postgres = environment(services["postgres"])
    url = urlsplit(environment(services["api"])["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert url.hostname == "postgres"
    assert url.port == 5432
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_storage_settings_reach_minio_and_the_bucket_minio_init_creates(services):
    api_env = environment(services["api"])
    endpoint = urlsplit(api_env["S3_ENDPOINT_URL"])
    assert endpoint.hostname == "minio"
    assert endpoint.port == 9000
    created = re.findall(r"mc mb(?: --?[\w-]+)* [\w.-]+/([\w.-]+)", command_text(services["minio-init"]))
    assert created == [api_env["S3_BUCKET"]]


def test_app_credentials_are_minio_root_credentials(services):
    minio = environment(services["minio"])
    api_env = environment(services["api"])
    assert api_env["AWS_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"]
    assert api_env["AWS_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    init = environment(services["minio-init"])
    assert (init["MINIO_ROOT_USER"], init["MINIO_ROOT_PASSWORD"]) == (minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"])


def test_minio_init_waits_for_a_healthy_minio(services):
    assert services["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_migrations_wait_for_a_healthy_postgres_and_run_the_migrate_command(services):
    migrate = services["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert command_text(migrate).split()[-2:] == ["invoice-processor", "migrate"]


def test_runner_scales_without_name_or_host_port_conflicts(services):
    runner = services["runner"]
    assert "container_name" not in runner
    assert not runner.get("ports")
    assert command_text(runner).split()[:2] == ["invoice-processor", "runner"]


def test_api_and_runner_start_after_migrations_and_bucket_creation(services):
    for name in ("api", "runner"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["minio-init"]["condition"] == "service_completed_successfully", name


def test_api_listens_on_all_interfaces_and_publishes_port_8000(services):
    api = services["api"]
    words = command_text(api).split()
    assert words[:2] == ["invoice-processor", "api"]
    assert words[words.index("--host") + 1] == "0.0.0.0"
    assert "8000:8000" in [str(port) for port in api["ports"]]


def test_postgres_minio_and_api_have_healthchecks(services):
    for name in ("postgres", "minio", "api"):
        healthcheck = services[name].get("healthcheck") or {}
        assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} has no healthcheck"
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    assert "/health" in api_check and "curl" not in api_check  # the slim image has no curl


def test_app_services_run_the_image_built_from_infra_dockerfile(services):
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        assert build["args"]["EXTRAS"] == ""  # the vlm extra (torch) only on request


def test_image_installs_ocr_languages_and_pdf_tools():
    assert {"tesseract-ocr", "tesseract-ocr-fra", "tesseract-ocr-eng", "poppler-utils"} <= apt_installed_packages()


def test_image_limits_tesseract_to_one_openmp_thread():
    assert dockerfile_env()["OMP_THREAD_LIMIT"] == "1"


def test_image_runs_the_api_as_a_non_root_user_by_default():
    instructions = dockerfile_instructions()
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11-slim-bookworm")
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    cmd = [arguments for keyword, arguments in instructions if keyword == "CMD"][-1]
    assert yaml.safe_load(cmd) == ["invoice-processor", "api", "--host", "0.0.0.0", "--port", "8000"]


def test_image_extras_are_opt_in():
    args = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "ARG"]
    assert any(re.fullmatch(r'EXTRAS(=""|=)?', arguments) for arguments in args)


def test_build_context_leaves_out_local_environment_and_history():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".git", ".invoice-processor"} <= ignored


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository with its registry, tag, digest) of an image reference; Docker Hub spelled out as
    docker.io, and its official images under library/."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2] if ":" in last else None
    repository = name[: len(name) - len(tag) - 1] if tag is not None else name
    first = repository.split("/", 1)[0]
    if "/" not in repository or not ("." in first or ":" in first or first == "localhost"):
        repository = "docker.io/" + repository
    if repository.count("/") == 1 and repository.startswith("docker.io/"):
        repository = "docker.io/library/" + repository.removeprefix("docker.io/")
    return repository, tag, digest or None


def test_image_references_are_read_as_docker_reads_them():
    assert image_reference("minio/minio") == ("docker.io/minio/minio", None, None)
    assert image_reference("postgres:16.10-bookworm") == ("docker.io/library/postgres", "16.10-bookworm", None)
    assert image_reference("quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z") == (
        "quay.io/minio/mc", "RELEASE.2025-04-16T18-13-26Z", None
    )
    assert image_reference("localhost:5000/x@sha256:ab") == ("localhost:5000/x", None, "sha256:ab")


def test_every_image_is_pinned_and_none_comes_from_a_repository_that_is_gone(services):
    for name, service in services.items():
        repository, tag, digest = image_reference(service["image"])
        assert digest or (tag and tag != "latest"), f"{name}: {service['image']} is not pinned to a tag or digest"
        assert repository not in GONE_REPOSITORIES, f"{name}: {repository} no longer serves images"


def test_minio_images_are_one_release_family_from_quay_and_postgres_a_minor_version(services):
    minio = image_reference(services["minio"]["image"])
    mc = image_reference(services["minio-init"]["image"])
    assert (minio[0], mc[0]) == ("quay.io/minio/minio", "quay.io/minio/mc")
    for _, tag, _ in (minio, mc):
        assert re.fullmatch(r"RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", tag), tag
    assert minio[1][:16] == mc[1][:16]  # RELEASE.YYYY-MM: the same month's releases
    postgres = image_reference(services["postgres"]["image"])
    assert postgres[0] == "docker.io/library/postgres"
    assert re.fullmatch(r"\d+\.\d+(-\w+)?", postgres[1]), postgres[1]


def test_presigned_urls_name_the_minio_port_published_on_the_host(services):
    """Services reach MinIO as minio:9000; clients get URLs signed for the published port."""
    public = urlsplit(environment(services["api"])["S3_PUBLIC_ENDPOINT_URL"])
    assert (public.scheme, public.hostname, public.port) == ("http", "localhost", 9000)
    published = [str(port) for port in services["minio"]["ports"]]
    assert f"{public.port}:9000" in published
    assert "S3_PUBLIC_ENDPOINT_URL" in SETTING_NAMES


def test_vlm_build_installs_torch_from_the_cpu_wheel_index():
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    args = interpolate(compose, {"EXTRAS": "vlm"})["services"]["runner"]["build"]["args"]
    assert args == {"EXTRAS": "vlm", "EXTRA_INDEX_URL": TORCH_CPU_INDEX}
    gpu = interpolate(compose, {"EXTRAS": "vlm", "EXTRA_INDEX_URL": "https://download.pytorch.org/whl/cu128"})
    assert gpu["services"]["runner"]["build"]["args"]["EXTRA_INDEX_URL"].endswith("/cu128")
    pypi_only = interpolate(compose, {"EXTRAS": "vlm", "EXTRA_INDEX_URL": ""})
    assert pypi_only["services"]["runner"]["build"]["args"]["EXTRA_INDEX_URL"] == ""
    # The Dockerfile declares the argument and hands it to every pip install.
    instructions = dockerfile_instructions()
    assert any(re.fullmatch(r"EXTRA_INDEX_URL(=.*)?", arguments) for keyword, arguments in instructions if keyword == "ARG")
    installs = [arguments for keyword, arguments in instructions if keyword == "RUN" and "pip install" in arguments]
    assert installs and all('--extra-index-url "$EXTRA_INDEX_URL"' in arguments for arguments in installs)

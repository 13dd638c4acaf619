"""The Kubernetes manifests (infra/kubernetes/, infra/keda/) are valid and agree with the settings, the CLI
and each other.

Offline: Kubernetes' own kinds are validated against the JSON schemas that the kubernetes-validate package
ships, strictly (unknown fields refused); KEDA's kinds against infra/keda/crd-schemas.yaml, a hand-written
subset of KEDA's CRD schema. The Kustomize layout is read here as `kubectl apply -k` reads its resources
list: no kubectl, kustomize or cluster is needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from invoice_processor.cli import build_parser
from invoice_processor.settings import Settings
from tests.test_compose import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[1]
KUSTOMIZATIONS = (ROOT / "infra" / "kubernetes", ROOT / "infra" / "kubernetes" / "gpu")
KEDA_MANIFEST = ROOT / "infra" / "keda" / "scaledobject.yaml"
KEDA_SCHEMAS = ROOT / "infra" / "keda" / "crd-schemas.yaml"
# The oldest Kubernetes minor still commonly run, and the newest the package knows.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
# Settings a container cannot do without: the database, and the bucket with its credentials.
REQUIRED_SETTINGS = {"DATABASE_URL", "S3_BUCKET", "S3_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
RUNNER = "invoice-processor-runner"


def kustomization_files(folder: Path) -> list[Path]:
    """The manifest files a kustomization.yaml lists, in order, following folders to their own."""
    files = []
    for entry in yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]:
        path = (folder / entry).resolve()
        files.extend(kustomization_files(path) if path.is_dir() else [path])
    return files


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def all_manifests() -> list[tuple[str, dict]]:
    """(file name, document) of every manifest of the Kustomize bases and infra/keda/scaledobject.yaml."""
    files = dict.fromkeys(path for folder in KUSTOMIZATIONS for path in kustomization_files(folder))
    return [
        (str(path.relative_to(ROOT)), doc) for path in [*files, KEDA_MANIFEST] for doc in documents(path)
    ]


MANIFESTS = all_manifests()
OBJECTS = {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in MANIFESTS}
DEPLOYMENTS = {name: doc for (kind, name), doc in OBJECTS.items() if kind == "Deployment"}


def manifest_id(item) -> str:
    return f"{item[0]}:{item[1]['kind']}/{item[1]['metadata']['name']}"


def pod_containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def container(deployment: dict, name: str) -> dict:
    return next(c for c in pod_containers(deployment) if c["name"] == name)


def container_environment(c: dict) -> dict[str, str | None]:
    """The variables a container gets: its env (values; None where taken from a Secret's key) and every key
    of the ConfigMaps and Secrets its envFrom names, read from the manifests."""
    env: dict[str, str | None] = {}
    for source in c.get("envFrom", []):
        if "configMapRef" in source:
            kind, ref = "ConfigMap", source["configMapRef"]
        else:
            kind, ref = "Secret", source["secretRef"]
        referenced = OBJECTS[(kind, ref["name"])]
        env.update(referenced.get("data") or {})
        env.update(referenced.get("stringData") or {})
    for item in c.get("env", []):
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            secret = OBJECTS[("Secret", ref["name"])]
            assert ref["key"] in secret["stringData"], f"{ref['name']} has no key {ref['key']}"
            env[item["name"]] = None
        else:
            env[item["name"]] = item["value"]
    return env


def test_every_manifest_file_is_listed_in_a_kustomization():
    listed = {path for folder in KUSTOMIZATIONS for path in kustomization_files(folder)}
    on_disk = {p.resolve() for p in (ROOT / "infra" / "kubernetes").rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert on_disk == listed


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("item", [m for m in MANIFESTS if m[1]["apiVersion"] != "keda.sh/v1alpha1"], ids=manifest_id)
def test_manifest_validates_against_the_kubernetes_schema(item, version):
    kubernetes_validate.validate(item[1], version, strict=True)


@pytest.mark.parametrize("item", [m for m in MANIFESTS if m[1]["apiVersion"] == "keda.sh/v1alpha1"], ids=manifest_id)
def test_keda_manifest_validates_against_the_vendored_crd_schema(item):
    schemas = yaml.safe_load(KEDA_SCHEMAS.read_text())
    jsonschema.validate(item[1], schemas[item[1]["kind"]])


def test_vendored_keda_schema_refuses_a_misspelt_field():
    schema = yaml.safe_load(KEDA_SCHEMAS.read_text())["ScaledObject"]
    scaled = yaml.safe_load(yaml.safe_dump(OBJECTS[("ScaledObject", RUNNER)]))
    scaled["spec"]["maxReplicas"] = scaled["spec"].pop("maxReplicaCount")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, schema)


def test_strict_kubernetes_validation_refuses_a_misspelt_field():
    deployment = yaml.safe_load(yaml.safe_dump(DEPLOYMENTS[RUNNER]))
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 60
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_containers_get_only_settings_the_code_reads_and_all_it_requires(name):
    for c in pod_containers(DEPLOYMENTS[name]):
        env = container_environment(c)
        unknown = env.keys() - SETTING_NAMES
        assert not unknown, f"{name}/{c['name']} sets {sorted(unknown)}, which invoice_processor.settings does not read"
        missing = REQUIRED_SETTINGS - env.keys()
        assert not missing, f"{name}/{c['name']} lacks {sorted(missing)}"
        Settings(**{key.lower(): value for key, value in env.items() if value is not None})


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_containers_run_commands_the_cli_accepts(name):
    for c in pod_containers(DEPLOYMENTS[name]):
        assert c["command"][0] == "invoice-processor"
        build_parser().parse_args(c["command"][1:])


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_deployment_migrates_before_its_app_starts(name):
    spec = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    (migrate,) = spec["initContainers"]
    assert migrate["command"] == ["invoice-processor", "migrate"]
    app = spec["containers"][0]
    assert migrate["image"] == app["image"]
    assert container_environment(migrate)["DATABASE_URL"] is None  # from the same Secret as the app's
    assert migrate["env"][0] == next(item for item in app["env"] if item["name"] == "DATABASE_URL")


# That the initContainers of several pods may migrate at once is tested on a real database:
# tests/test_migrations.py::test_several_processes_may_migrate_at_once.


def test_runner_deployment_threads_and_keda_scaled_object_agree():
    scaled = OBJECTS[("ScaledObject", RUNNER)]
    assert scaled["spec"]["scaleTargetRef"]["name"] == RUNNER and RUNNER in DEPLOYMENTS
    threads = container_environment(container(DEPLOYMENTS[RUNNER], "runner"))["RUNNER_THREADS"]
    assert scaled["metadata"]["annotations"]["invoice-processor/runner-threads"] == threads
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    assert re.search(rf"/ CAST\({threads} AS numeric\)", query)
    assert "replicas" not in DEPLOYMENTS[RUNNER]["spec"]  # KEDA owns it; re-applying must not reset it


def test_keda_reads_the_database_password_from_the_secret_the_manifests_create():
    auth = OBJECTS[("TriggerAuthentication", "invoice-processor-postgres")]
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["key"] in OBJECTS[("Secret", ref["name"])]["stringData"]


@pytest.mark.parametrize("name", [RUNNER, f"{RUNNER}-gpu"])
def test_runner_requests_a_cpu_per_thread_and_outlives_its_shutdown_grace(name):
    spec = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    runner = container(DEPLOYMENTS[name], "runner")
    env = container_environment(runner)
    assert int(runner["resources"]["requests"]["cpu"]) == int(env["RUNNER_THREADS"])
    grace = float(env.get("RUNNER_SHUTDOWN_GRACE_S") or Settings.model_fields["runner_shutdown_grace_s"].default)
    assert grace == Settings.model_fields["runner_shutdown_grace_s"].default
    assert spec["terminationGracePeriodSeconds"] > grace


def test_runners_have_a_disruption_budget():
    budget = OBJECTS[("PodDisruptionBudget", RUNNER)]
    labels = DEPLOYMENTS[RUNNER]["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["maxUnavailable"] == 1


def test_api_is_ready_on_health_and_kept_alive_by_a_check_that_outages_do_not_fail():
    api = container(DEPLOYMENTS["invoice-processor-api"], "api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/health"
    liveness = api["livenessProbe"]
    assert "tcpSocket" in liveness
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 120
    service = OBJECTS[("Service", "invoice-processor-api")]
    labels = DEPLOYMENTS["invoice-processor-api"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == api["ports"][0]["name"]


def test_incoming_deployment_watches_the_bucket():
    incoming = container(DEPLOYMENTS["invoice-processor-incoming"], "incoming")
    args = build_parser().parse_args(incoming["command"][1:])
    assert args.command == "ingest-incoming" and args.watch > 0


def test_gpu_runner_gets_a_gpu_and_reads_the_model_from_a_read_only_volume():
    deployment = DEPLOYMENTS[f"{RUNNER}-gpu"]
    spec = deployment["spec"]["template"]["spec"]
    runner = container(deployment, "runner")
    assert runner["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert spec["nodeSelector"]
    env = container_environment(runner)
    settings = Settings(
        florence_model=env["FLORENCE_MODEL"], vlm_mode=env["VLM_MODE"], florence_device=env["FLORENCE_DEVICE"]
    )
    assert settings.effective_vlm_mode != "off" and settings.florence_device == "cuda"
    (mount,) = [m for m in runner["volumeMounts"] if env["FLORENCE_MODEL"].startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in OBJECTS


def test_secrets_are_templates_with_placeholders():
    for (kind, name), doc in OBJECTS.items():
        if kind == "Secret":
            assert "data" not in doc and doc["stringData"], name
            assert all("CHANGE-ME" in value for value in doc["stringData"].values()), name


def test_every_object_lands_in_the_namespace_keda_queries():
    host = OBJECTS[("ScaledObject", RUNNER)]["spec"]["triggers"][0]["metadata"]["host"]
    namespace = host.split(".")[1]
    assert ("Namespace", namespace) in OBJECTS
    for folder in KUSTOMIZATIONS:
        assert yaml.safe_load((folder / "kustomization.yaml").read_text())["namespace"] == namespace
    assert all("namespace" not in doc["metadata"] for _, doc in MANIFESTS)

"""infra/ names the settings the code reads, runs commands that exist, and probes routes that exist.

No Docker engine or cluster here: the Dockerfile's instructions are parsed, the compose file and the
Kubernetes manifests are loaded with yaml.safe_load_all and checked against service/config.py, the CLI and
create_app()'s URL map.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from service.config import SETTINGS

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
DESIGN = ROOT.parent / "shared" / "DESIGN.md"
KNOWN = {s.env_var for s in SETTINGS}
SECRET = {s.env_var for s in SETTINGS if s.secret}
# DESIGN.md, "Settings every deployment sets" (checked against the document below when it is present).
EVERY_DEPLOYMENT = {
    "UNDERSTUDY_DATABASE_URL", "UNDERSTUDY_SECRET_KEY", "UNDERSTUDY_REDIS_URL", "UNDERSTUDY_LLM_BASE_URL",
    "UNDERSTUDY_LLM_API_KEY", "UNDERSTUDY_LLM_MODEL", "UNDERSTUDY_EMBEDDINGS_MODEL", "UNDERSTUDY_SLACK_BOT_TOKEN",
    "UNDERSTUDY_SLACK_SIGNING_SECRET", "UNDERSTUDY_SLACK_APP_TOKEN", "UNDERSTUDY_SLACK_API_URL",
    "UNDERSTUDY_OIDC_ISSUER", "UNDERSTUDY_OIDC_CLIENT_ID", "UNDERSTUDY_OIDC_CLIENT_SECRET", "UNDERSTUDY_RATELIMIT_ASK",
}
# Secrets that are not in the settings table's secret column but must still never be a literal.
CONNECTION_SECRETS = {"UNDERSTUDY_DATABASE_URL", "UNDERSTUDY_REDIS_URL"}
GUNICORN_COMMAND = ["gunicorn", "-c", "infra/gunicorn.conf.py", "service.app:create_app()"]


# --- readers ---------------------------------------------------------------------------------------

def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def exec_form(arguments: str) -> list[str]:
    """A JSON-array instruction argument (CMD ["a", "b"]) or a shell form split like a shell."""
    text = arguments.strip()
    if text.startswith("["):
        return list(json.loads(text))
    return shlex.split(text)


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    return instructions[starts[-1]:]


def compose() -> dict[str, Any]:
    document = yaml.safe_load((INFRA / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted((INFRA / "k8s").glob("*.yaml")):
        documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return documents


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in manifests() if d.get("kind") == kind]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def containers() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for workload in of_kind("Deployment") + of_kind("Job"):
        for container in pod_spec(workload)["containers"]:
            yield workload, container


def configmap_keys() -> dict[str, set[str]]:
    return {d["metadata"]["name"]: set(d.get("data") or {}) for d in of_kind("ConfigMap")}


def container_settings(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every variable a container gets: name -> its env entry (or {"configMap": name} for envFrom)."""
    found: dict[str, dict[str, Any]] = {}
    maps = configmap_keys()
    for source in container.get("envFrom") or []:
        name = source["configMapRef"]["name"]
        assert name in maps, f"envFrom names a ConfigMap that infra/k8s does not define: {name}"
        found.update({key: {"configMap": name} for key in maps[name]})
    for entry in container.get("env") or []:
        found[entry["name"]] = entry
    return found


def understudy_names(text: str) -> set[str]:
    return set(re.findall(r"\bUNDERSTUDY_[A-Z0-9_]+\b", text))


def app_routes() -> set[str]:
    from service.app import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "infra-test"})
    return {rule.rule for rule in app.url_map.iter_rules()}


# --- the settings ----------------------------------------------------------------------------------

def test_the_deployment_settings_are_those_design_md_lists() -> None:
    if not DESIGN.is_file():
        pytest.skip(f"{DESIGN} is not beside the checkout")
    text = DESIGN.read_text()
    section = text.split("Settings every deployment sets", 1)[1].split("\n## ", 1)[0]
    assert understudy_names(section) == EVERY_DEPLOYMENT
    assert EVERY_DEPLOYMENT <= KNOWN


def test_every_setting_infra_names_is_one_the_code_reads() -> None:
    for path in sorted(INFRA.rglob("*")):
        if path.is_file() and path.suffix in {"", ".yaml", ".yml", ".py", ".example", ".md"}:
            unknown = understudy_names(path.read_text()) - KNOWN - {"UNDERSTUDY_BIND", "UNDERSTUDY_PORT"}
            assert not unknown, f"{path.relative_to(ROOT)} names settings service/config.py lacks: {sorted(unknown)}"


# --- Dockerfile ------------------------------------------------------------------------------------

def test_the_image_is_slim_non_root_health_checked_and_runs_gunicorn() -> None:
    stage = final_stage(dockerfile_instructions(INFRA / "Dockerfile"))
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    health = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0] and "CMD" in health[0]
    commands = [exec_form(args) for keyword, args in stage if keyword == "CMD"]
    assert commands[-1] == GUNICORN_COMMAND


def test_the_image_bakes_in_no_secret_and_copies_what_exists() -> None:
    instructions = dockerfile_instructions(INFRA / "Dockerfile")
    for keyword, args in instructions:
        if keyword in {"ENV", "ARG"}:
            named = understudy_names(args)
            assert not named & (SECRET | CONNECTION_SECRETS), f"{keyword} {args}"
            assert not re.search(r"(PASSWORD|TOKEN|SECRET|API_KEY)\w*=", args), f"{keyword} {args}"
        if keyword == "COPY" and not args.startswith("--from"):
            for source in exec_form(args)[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"


def test_the_gunicorn_config_the_image_runs_uses_threads_and_multiprocess_metrics() -> None:
    namespace: dict[str, Any] = {}
    text = (INFRA / "gunicorn.conf.py").read_text()
    assert "PROMETHEUS_MULTIPROC_DIR" in text and "mark_process_dead" in text
    # The config exports PROMETHEUS_MULTIPROC_DIR for its workers; keep that out of this test process.
    with mock.patch.dict(os.environ):
        exec(compile(text, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own config file
    from gunicorn.util import load_class
    from gunicorn.workers.gthread import ThreadWorker

    worker = load_class(namespace["worker_class"])
    assert issubclass(worker, ThreadWorker) and namespace["threads"] >= 2
    assert callable(namespace["child_exit"]) and callable(namespace["on_starting"])


# --- compose ---------------------------------------------------------------------------------------

def test_compose_runs_postgres_redis_migration_web_and_workers() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "slack"} <= set(services)
    assert services["migrate"]["command"] == ["understudy", "init"]
    assert services["web"]["command"] == GUNICORN_COMMAND
    assert services["worker"]["command"] == ["understudy", "worker"]
    assert services["slack"]["command"] == ["understudy", "slack"]
    for name in ("web", "worker", "slack"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_gives_every_deployment_setting_from_the_environment() -> None:
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "slack"):
        environment = services[name]["environment"]
        assert set(environment) >= EVERY_DEPLOYMENT, (name, sorted(EVERY_DEPLOYMENT - set(environment)))
        names = {k for k in environment if k.startswith("UNDERSTUDY_")}
        assert names <= KNOWN, sorted(names - KNOWN)
        for key in SECRET & set(environment):
            assert "${" in str(environment[key]), f"{name}: {key} must come from the environment, not the file"
        for key in CONNECTION_SECRETS & set(environment):
            password = re.search(r"://[^/@:]*:([^@]+)@", str(environment[key]))
            assert password is None or password.group(1).startswith("${"), f"{name}: {key} holds a password"
    assert services["web"]["environment"]["UNDERSTUDY_DATABASE_URL"].startswith("postgresql://")
    assert services["web"]["environment"]["UNDERSTUDY_REDIS_URL"].startswith("redis://redis:")


def test_compose_health_check_uses_a_real_route() -> None:
    routes = app_routes()
    probe = " ".join(compose()["services"]["web"]["healthcheck"]["test"])
    paths = re.findall(r"127\.0\.0\.1:8000(/[a-z]+)", probe)
    assert paths and all(p in routes for p in paths)


# --- Kubernetes ------------------------------------------------------------------------------------

def test_the_manifests_hold_each_kind_a_deployment_needs() -> None:
    kinds = {d["kind"] for d in manifests()}
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "Job", "ConfigMap"} <= kinds
    kustomization = yaml.safe_load((INFRA / "k8s" / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in (INFRA / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_the_migration_job_runs_understudy_init() -> None:
    (job,) = of_kind("Job")
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == ["understudy", "init"]
    assert set(container_settings(container)) >= EVERY_DEPLOYMENT


def test_every_workload_reads_settings_the_code_knows_and_secrets_by_reference() -> None:
    commands = {}
    for workload, container in containers():
        settings = container_settings(container)
        commands[workload["metadata"]["name"]] = container["command"]
        assert set(settings) >= EVERY_DEPLOYMENT, (workload["metadata"]["name"],
                                                   sorted(EVERY_DEPLOYMENT - set(settings)))
        understudy = {k for k in settings if k.startswith("UNDERSTUDY_")}
        assert understudy <= KNOWN, sorted(understudy - KNOWN)
        for key in (SECRET | CONNECTION_SECRETS) & set(settings):
            entry = settings[key]
            assert "secretKeyRef" in entry.get("valueFrom", {}), f"{key} must come from a Secret by reference"
        assert pod_spec(workload)["securityContext"]["runAsNonRoot"] is True
    assert sorted(commands.values()) == sorted([GUNICORN_COMMAND, ["understudy", "init"], ["understudy", "worker"],
                                                ["understudy", "slack"]])
    secrets = [d for d in manifests() if d["kind"] == "Secret"]
    assert not secrets, "secrets are created in the cluster (see infra/README.md), never kept in the repository"


def test_probes_point_at_real_routes() -> None:
    routes = app_routes()
    (web,) = [d for d in of_kind("Deployment") if d["metadata"]["name"] == "understudy-web"]
    (container,) = pod_spec(web)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        http = container[probe]["httpGet"]
        assert http["path"] in routes and http["port"] in ports
    annotations = web["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] in routes


def test_service_ingress_and_autoscaler_reach_the_web_deployment() -> None:
    (web,) = [d for d in of_kind("Deployment") if d["metadata"]["name"] == "understudy-web"]
    pod_labels = web["spec"]["template"]["metadata"]["labels"]
    (service,) = of_kind("Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    port_names = {p["name"] for p in service["spec"]["ports"]}
    (ingress,) = of_kind("Ingress")
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert backends and all(b["name"] == service["metadata"]["name"] and b["port"]["name"] in port_names
                            for b in backends)
    (hpa,) = of_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": web["metadata"]["name"]}
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_infra_runs_only_commands_the_cli_has() -> None:
    import click

    from service.cli import main

    used = {c[1] for c in [s.get("command") for s in compose()["services"].values()] if c and c[0] == "understudy"}
    used |= {c["command"][1] for _, c in containers() if c["command"][0] == "understudy"}
    assert used == {"init", "worker", "slack"}
    missing = used - set(main.list_commands(click.Context(main)))
    assert not missing, f"infra runs `understudy {' / '.join(sorted(missing))}`, which service/cli.py lacks"

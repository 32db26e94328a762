# The cometapi-smoke-gate image: a GitHub container action (action.yml), a GitLab job image and a Jenkins
# docker.inside image. Any Debian-based image with python3 (>= 3.11) and its venv module works as the base:
#   docker build -t cometapi-smoke-gate .
#   docker build --build-arg BASE_IMAGE=python:3.13-slim-bookworm -t cometapi-smoke-gate .
ARG BASE_IMAGE=python:3.12-slim-bookworm

# ---- builder: a virtual environment in /opt/venv with the gate and its dependencies -------------------------
FROM ${BASE_IMAGE} AS builder

# A CA bundle for pip behind a TLS-inspecting proxy (e.g. --build-arg PIP_CERT=/etc/ssl/certs/ca-certificates.crt).
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python3 -m venv /opt/venv

WORKDIR /src
COPY pyproject.toml README.md ./
COPY gate ./gate
COPY docker/entrypoint.py /opt/venv/bin/gate-entrypoint

# Install the gate (not editable: /src is not copied on), compile its bytecode once here because the final image
# may run as a user who cannot write to /opt/venv, then drop the installers the gate does not need at run time.
RUN /opt/venv/bin/python -m pip install . \
    && /opt/venv/bin/python -m pip uninstall --yes pip setuptools wheel \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib \
    && sed -i '1s|.*|#!/opt/venv/bin/python3 -I|' /opt/venv/bin/gate-entrypoint \
    && chmod 0755 /opt/venv/bin/gate-entrypoint \
    && /opt/venv/bin/cometapi-smoke-gate --version

# ---- final: the base image plus the virtual environment only -----------------------------------------------
FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="cometapi-smoke-gate" \
      org.opencontainers.image.description="Release gate that smoke-tests a CometAPI (OpenAI-compatible) Chat Completions integration in CI" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH

COPY --from=builder /opt/venv /opt/venv

# No USER on purpose: GitHub requires container actions to run as root (its workspace and file-command mounts
# are root-owned), and Jenkins and GitLab choose the user themselves (docker.inside passes -u <uid>:<gid>); the
# image works as any uid. hadolint's DL3002 fires only on an explicit `USER root`, so nothing is silenced here.
ENTRYPOINT ["/opt/venv/bin/gate-entrypoint"]

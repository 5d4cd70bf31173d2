#!/usr/bin/env bash
# Installs the tools the deploy tests (test/deploy/) use into .infra/ (git-ignored):
#   .infra/bin/helm                        helm v3, built with `go install` from the Go module proxy
#   .infra/bin/kubeconform                 kubeconform, the same way
#   .infra/bin/toxiproxy-server            Shopify's toxiproxy server, the same way (network faults
#                                          of the chaos runs, test/harness/toxiproxy.ts)
#   .infra/bin/compose-config              tools/compose-config: docker compose's own loader
#                                          (compose-spec/compose-go), built with `go build`, so
#                                          the compose tests load the file as docker compose does
#   .infra/kubernetes-schemas/v<k8s>-standalone-strict/*.json
#                                          Kubernetes JSON schemas from PyPI kubernetes-validate,
#                                          with $refs made relative so kubeconform reads them offline
# Each step is skipped when its result is already there at the pinned version,
# so a warm run takes about a second. Cold, on 2 cores: helm ~2 min (downloads and
# compiles ~150 modules), kubeconform ~15 s, toxiproxy ~30 s, compose-config ~15 s,
# schemas ~20 s.
#
#   scripts/install-tools.sh            install what is missing
#   PRA_INFRA_DIR=/elsewhere scripts/install-tools.sh
set -euo pipefail

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.7.0
TOXIPROXY_VERSION=v2.5.0
KUBERNETES_VALIDATE_VERSION=1.37.0
# The Kubernetes versions the chart is validated against: the oldest it supports
# (kubeVersion in Chart.yaml is >=1.27) and the newest release.
KUBERNETES_VERSIONS="1.27.0 1.37.0"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
infra=${PRA_INFRA_DIR:-$root/.infra}
bin=$infra/bin
mkdir -p "$bin"

log() { printf '[install-tools] %s\n' "$*"; }

# A stamp beside each binary records what it was built from (go version -m
# drops -ldflags when -trimpath is on).
stamp_of() { printf '%s %s %s' "$1" "$2" "$3"; }

# True when the binary is there and was built from what its stamp says; else checks that go is.
up_to_date() { # name stamp
  if [ -x "$bin/$1" ] && [ -f "$bin/.$1.stamp" ] && [ "$(cat "$bin/.$1.stamp")" = "$2" ]; then return 0; fi
  command -v go >/dev/null || { echo "go is required to build $1 (Go module proxy)" >&2; exit 1; }
  return 1
}

go_tool() { # name module-path package version [ldflags]
  local name=$1 module=$2 package=$3 version=$4 ldflags=${5:-}
  # go install names a binary after its package's folder; build elsewhere and rename when they differ.
  local built=${package##*/} gobin=$bin
  local stamp
  stamp=$(stamp_of "$package" "$version" "$ldflags")
  if up_to_date "$name" "$stamp"; then
    log "$name $version already installed"
    return
  fi
  local start=$SECONDS
  log "building $name $version with go install"
  if [ "$built" != "$name" ]; then gobin=$(mktemp -d "$infra/.gobin-XXXXXX"); fi
  GOBIN=$gobin CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go install -trimpath -ldflags "-s -w $ldflags" "$package@$version"
  if [ "$built" != "$name" ]; then mv -f "$gobin/$built" "$bin/$name" && rmdir "$gobin"; fi
  printf '%s' "$stamp" > "$bin/.$name.stamp"
  log "$name $version installed in $((SECONDS - start)) s"
}

# The link flags of helm's own release build: its version, and the Kubernetes
# version `helm template` assumes without --kube-version (1.37, from client-go
# v0.37 that v3.22.0 builds with; without them helm says 1.20).
go_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"
go_tool kubeconform github.com/yannh/kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
# The server's package is cmd/server; the version it reports on /version comes from the link flags.
go_tool toxiproxy-server github.com/Shopify/toxiproxy/v2 github.com/Shopify/toxiproxy/v2/cmd/server "$TOXIPROXY_VERSION" \
  "-X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION"

# A Go program of this repository, rebuilt when its sources change.
local_go_tool() { # name dir
  local name=$1 dir=$root/$2 stamp
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" "$dir"/*.go | sha256sum | cut -d' ' -f1)
  if up_to_date "$name" "$stamp"; then
    log "$name already built"
    return
  fi
  local start=$SECONDS
  log "building $name with go build"
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$bin/$name" .)
  printf '%s' "$stamp" > "$bin/.$name.stamp"
  log "$name installed in $((SECONDS - start)) s"
}
local_go_tool compose-config tools/compose-config

schemas=$infra/kubernetes-schemas
stamp="kubernetes-validate $KUBERNETES_VALIDATE_VERSION: $KUBERNETES_VERSIONS"
if [ -f "$schemas/.stamp" ] && [ "$(cat "$schemas/.stamp")" = "$stamp" ]; then
  log "Kubernetes schemas ($stamp) already installed"
else
  start=$SECONDS
  python=$(command -v python3 || command -v python) || { echo "python3 with pip is required for the Kubernetes schemas (PyPI kubernetes-validate)" >&2; exit 1; }
  tmp=$(mktemp -d "$infra/.schemas-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$tmp/py" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  source_dir=$tmp/py/kubernetes_validate/kubernetes-json-schema
  mkdir -p "$tmp/out"
  for k8s in $KUBERNETES_VERSIONS; do
    from=$source_dir/v$k8s-local-strict
    [ -d "$from" ] || { echo "kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no schemas for Kubernetes $k8s" >&2; exit 1; }
    to=$tmp/out/v$k8s-standalone-strict
    mkdir -p "$to"
    # The package's schemas carry "$id": "https://kubernetes.io/api/..." and point
    # at "/api/_definitions.json", which would send kubeconform to the network:
    # drop the ids and make the definitions a sibling file.
    "$python" - "$from" "$to" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in os.listdir(src):
    if not name.endswith('.json'):
        continue
    with open(os.path.join(src, name)) as f:
        schema = json.load(f)
    schema.pop('$id', None)
    text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
    with open(os.path.join(dst, name), 'w') as f:
        f.write(text)
PY
  done
  echo "$stamp" > "$tmp/out/.stamp"
  rm -rf "$schemas"
  mv "$tmp/out" "$schemas"
  log "Kubernetes schemas installed in $((SECONDS - start)) s"
fi

# LaitGrpc: built and unit-tested with the .NET SDK, run on the ASP.NET runtime as a non-root user.
#   docker build -t laitgrpc .
#   docker build -t laitgrpc --build-arg RUN_TESTS=0 .      # skip the unit tests (faster rebuilds)
#   docker run -p 50051:50051 -p 9464:9464 -v lait-store:/var/lib/lait/store laitgrpc
# No Docker engine runs on our machines: scripts/check-publish.sh repeats the publish and starts the
# output the way ENTRYPOINT does, and tests/Lait.Deploy.Tests lints this file (see deploy/README.md).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG RUN_TESTS=1
WORKDIR /src
# Build inputs only (.dockerignore is an allow-list): central package versions and build rules first.
# LaitGrpc.sln marks the repository root for the tests (they walk up to find it).
COPY LaitGrpc.sln Directory.Build.props Directory.Packages.props NuGet.config .editorconfig ./
COPY protos/ protos/
COPY src/ src/
COPY clients/csharp/ clients/csharp/
COPY tests/ tests/
RUN dotnet restore src/Lait.Server/Lait.Server.csproj \
 && for p in Engine Store Server; do dotnet restore "tests/Lait.$p.Tests/Lait.$p.Tests.csproj"; done
RUN dotnet build src/Lait.Server/Lait.Server.csproj -c Release --no-restore --nologo
# The unit tests that need nothing beyond the SDK. Tests needing redis-server, OpenBLAS, tmpfs or
# ../shared skip themselves here; Lait.Interop.Tests (Python and Node peers) and Lait.Deploy.Tests
# (yamllint, this Dockerfile itself) need tools the SDK image lacks and run in scripts/test.sh only.
RUN if [ "$RUN_TESTS" = "1" ]; then \
      for p in Engine Store Server; do \
        dotnet test "tests/Lait.$p.Tests/Lait.$p.Tests.csproj" -c Release --nologo -v quiet || exit 1; \
      done; \
    fi
RUN dotnet publish src/Lait.Server/Lait.Server.csproj -c Release --no-restore --nologo -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# A fixed uid/gid so Kubernetes' runAsUser and volume ownership (fsGroup) can name it.
RUN groupadd --system --gid 10001 lait \
 && useradd --system --uid 10001 --gid lait --home-dir /var/lib/lait --create-home lait \
 && mkdir -p /var/lib/lait/store \
 && chown -R lait:lait /var/lib/lait
WORKDIR /app
COPY --from=build /out/ /app/
# The default model (LaitSettings.DefaultModelDirectory, relative to WORKDIR). Read-only for lait.
COPY models/lait-nli-minilm/ /app/models/lait-nli-minilm/
# Every setting is an environment variable (deploy/README.md: Configuration). The server binds
# 127.0.0.1 by default; in a container it must listen on every interface.
ENV LAIT_HOST=0.0.0.0 \
    LAIT_PORT=50051 \
    LAIT_METRICS_PORT=9464 \
    LAIT_HTTP_PORT=8080 \
    LAIT_MODEL_DIRS=/app/models/lait-nli-minilm \
    LAIT_STORE_DIR=/var/lib/lait/store \
    LAIT_DURABILITY=durable \
    LAIT_CODEC=fp16 \
    LAIT_LOG_FORMAT=json
VOLUME /var/lib/lait/store
EXPOSE 50051 9464 8080
USER lait:lait
# One grpc.health.v1 Check against the server itself (exit 0 SERVING, 1 not, 2 unreachable): no
# extra binary downloaded. The start period covers model loading and store recovery.
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 \
  CMD ["dotnet", "/app/Lait.Server.dll", "--probe", "lait.v1.Lait"]
# SIGTERM drains calls and checkpoints the store: give it time (docker stop -t 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/Lait.Server.dll"]

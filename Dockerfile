# LaitGrpc: build with the .NET SDK, run on the ASP.NET runtime as a non-root user.
#   docker build -t laitgrpc .
#   docker run -p 50051:50051 -p 9464:9464 -v lait-store:/var/lib/lait/store laitgrpc
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Lait.Server -c Release -o /out --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN groupadd --system lait \
 && useradd --system --gid lait --home-dir /var/lib/lait --create-home lait \
 && mkdir -p /var/lib/lait/store \
 && chown -R lait:lait /var/lib/lait
WORKDIR /app
COPY --from=build /out ./
COPY models/ ./models/
# Every setting is an environment variable (README: Configuration).
ENV LAIT_HOST=0.0.0.0 \
    LAIT_PORT=50051 \
    LAIT_METRICS_PORT=9464 \
    LAIT_STORE_DIR=/var/lib/lait/store \
    LAIT_MODEL_DIRS=/app/models/lait-nli-mini \
    LAIT_LOG_FORMAT=json
VOLUME /var/lib/lait/store
EXPOSE 50051 9464
USER lait
# A grpc.health.v1 Check against the server itself: no extra binary needed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["dotnet", "/app/Lait.Server.dll", "--probe", "lait.v1.Lait"]
ENTRYPOINT ["dotnet", "/app/Lait.Server.dll"]

# The coordinator FROM scratch: /usr/bin/node with the libraries ldd lists for it and for the native
# addons (better-sqlite3, onnxruntime-node for model facts), the built app in /app. Staged and built by
# deploy/images/build-images.sh (no registry needed). SQLite and artifacts live in /data.
FROM scratch
COPY rootfs/ /
WORKDIR /app
ENV MLFARM_DATA_DIR=/data \
    MLFARM_GRPC_ADDRESS=0.0.0.0:50051 \
    MLFARM_HTTP_ADDRESS=0.0.0.0:8080
EXPOSE 50051 8080
VOLUME /data
ENTRYPOINT ["/usr/bin/node", "/app/bin/mlfarm.js", "coordinator"]

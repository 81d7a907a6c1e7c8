# An agent FROM scratch: node, onnxruntime-node's libonnxruntime.so.1 and every library ldd lists for them.
# Runner children are spawned from the same /usr/bin/node. /metrics on 9464 (--metrics-port).
# Staged and built by deploy/images/build-images.sh.
FROM scratch
COPY rootfs/ /
WORKDIR /app
ENV MLFARM_AGENT_STATE_DIR=/data/agent \
    MLFARM_AGENT_METRICS_PORT=9464
EXPOSE 9464
VOLUME /data
ENTRYPOINT ["/usr/bin/node", "/app/bin/mlfarm.js", "agent"]

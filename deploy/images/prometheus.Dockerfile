# Prometheus FROM scratch: Debian's prometheus and promtool binaries with the libraries ldd lists, the
# farm's scrape config and alert rules. Staged and built by deploy/images/build-images.sh.
FROM scratch
COPY rootfs/ /
EXPOSE 9090
VOLUME /prometheus
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=0.0.0.0:9090"]

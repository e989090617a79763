# The plugin's own image: the static binary, a CA bundle and kaniko's
# layout, nothing else. Every file comes from the build context (the
# repository after `scripts/image.sh context`), so there is no base image to
# pull. kaniko does not set TARGETARCH: pass it as a build arg.
FROM scratch

ARG TARGETARCH
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/kaniko-ecr/kaniko-ecr

# dist/image holds the CA bundle at /kaniko/ssl/certs/ca-certificates.crt
# (kaniko keeps /kaniko between stages; /etc it deletes) and
# /etc/ssl/certs/ca-certificates.crt as a link to it.
COPY dist/image/ /
COPY dist/kaniko-ecr-linux-${TARGETARCH} /kaniko/kaniko-ecr

ENV HOME=/root \
    USER=root \
    PATH=/usr/local/bin:/kaniko \
    SSL_CERT_DIR=/kaniko/ssl/certs \
    DOCKER_CONFIG=/kaniko/.docker
WORKDIR /workspace

LABEL org.opencontainers.image.title="kaniko-ecr" \
      org.opencontainers.image.description="Builds a Dockerfile with kaniko and pushes the image to Amazon ECR" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

ENTRYPOINT ["/kaniko/kaniko-ecr"]

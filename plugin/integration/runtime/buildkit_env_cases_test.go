package runtime

// bkEnv is what a RUN sees and what variables do in other instructions:
// HOME and PATH for root and another user, ENV that refers to itself,
// exec form, SHELL, .dockerignore patterns, a dir/. source.
const bkEnv = `ARG BASE
FROM ${BASE}
RUN echo "$HOME|$PATH|$(id)" > /root-env.txt
USER nobody
RUN echo "$HOME|$(id)" > /tmp/nobody-env.txt
USER root
ENV A=1 B=2
ENV A=x B=$A C=${B}
RUN echo "$A $B $C" > /env.txt
RUN ["sh", "-c", "echo exec $A > /exec.txt"]
SHELL ["/bin/sh", "-ec"]
RUN echo shell > /shell.txt
ENV DIR=/opt/dst
COPY dir/. $DIR/
COPY . /ctx/
`

func envCases() []bkCase {
	return []bkCase{{
		name: "env", dockerfile: bkEnv, current: true,
		files: map[string]string{
			"dir/a": "a\n", "dir/sub/b": "b\n",
			".dockerignore": "*.md\n!README.md\n**/node_modules\nsecret*\n",
			"README.md":     "r\n", "NOTES.md": "n\n", "web/node_modules/x": "x\n", "web/app.js": "j\n", "secret.txt": "s\n", "keep.txt": "k\n",
		},
	}}
}

// bkStages is how stages pass things on: by index, by name with a
// wildcard and --chown, a stage built on another (its ENV and WORKDIR),
// global and stage ARGs, a bind mount of a stage, and a stage the target
// does not need, which would fail.
const bkStages = `ARG BASE
ARG VERSION=1.0
FROM ${BASE} AS build
ARG VERSION
RUN mkdir -p /out && echo "v$VERSION" > /out/version.txt && echo x > /out/x.txt && echo bin > /out/tool
ENV FROM_BUILD=yes
WORKDIR /work
FROM build AS derived
RUN echo "$FROM_BUILD $(pwd)" > /derived.txt
FROM ${BASE} AS broken
RUN exit 1
FROM ${BASE}
ARG VERSION=2.0
COPY --from=0 /out/version.txt /by-index.txt
COPY --from=build --chown=nobody:nogroup /out/*.txt /txt/
COPY --from=derived /derived.txt /derived.txt
RUN --mount=type=bind,from=build,source=/out,target=/mnt cp /mnt/tool /tool && echo "$VERSION" > /version-here.txt
`

func stageCases() []bkCase {
	return []bkCase{{name: "stages", dockerfile: bkStages, current: true}}
}

// bkPaths writes where kaniko has rules of its own: /var/run, a
// destination under a symlinked directory, /tmp, /etc/hosts.
const bkPaths = `ARG BASE
FROM ${BASE}
RUN mkdir -p /real /var/run/app && ln -s /real /linked && echo pid > /var/run/app/pid
COPY file.txt /linked/through.txt
RUN echo tmp > /tmp/kept.txt && mkdir -p /tmp/dir
COPY file.txt /tmp/
`

func pathCases() []bkCase {
	why := "PLUGIN_IGNORE_VAR_RUN is true by default, as kaniko's --ignore-var-run: what a RUN writes under /var/run stays out of the image; BuildKit keeps it"
	return []bkCase{{
		name: "paths", dockerfile: bkPaths, current: true, files: map[string]string{"file.txt": "f\n"},
		differ: map[string]string{"var/run": why, "var/run/app": why, "var/run/app/pid": why},
	}}
}

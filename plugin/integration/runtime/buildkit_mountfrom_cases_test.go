package runtime

import "fmt"

// bkMountFrom mounts files of earlier stages and of an image: bind
// read-only and rw, a whole FROM scratch stage without a target (at the
// WORKDIR), a cache seeded from a stage. (An image mount is compared in
// plugin/integration only: from= takes the image literally, and the two
// builders reach the base image at different addresses.)
const bkMountFrom = `ARG BASE
FROM ${BASE} AS build
RUN mkdir -p /out/sub && echo built > /out/app && chmod 750 /out/app && echo lib > /out/sub/lib.txt && chown -R 10:20 /out/sub
FROM scratch AS binaries
COPY --from=build /out/app /
FROM ${BASE}
WORKDIR /w
RUN --mount=from=build,source=/out,target=/o sh -c 'cat /o/app > /app.copy; ls -lnR /o | grep -v total > /o.ls'
RUN --mount=from=build,source=/out,target=/o,rw sh -c 'echo changed > /o/app; cat /o/app > /rw.txt'
RUN --mount=from=binaries sh -c 'ls -lan /w | grep -v total | grep -v " \.\.$" > /whole.ls'
RUN --mount=type=cache,from=build,source=/out/sub,target=/c,id=seeded sh -c 'cat /c/lib.txt > /seed.txt; echo more >> /c/lib.txt; stat -c "%a %u %g" /c > /c.stat'
RUN --mount=type=cache,from=build,source=/out/sub,target=/c,id=seeded cat /c/lib.txt > /seed2.txt
`

// bkExpanded takes mount options and a checksum from build variables and
// quotes a download's URL. (A tmpfs size is not compared: the engine's
// BuildKit cannot set it.)
const bkExpanded = `ARG BASE
FROM ${BASE}
ARG MNT_TYPE=cache
ARG DIGEST
ARG REQUIRED=true
ARG SECRET_MODE=0440
ENV CACHE_MODE=0700 OWNER=123 SHARING=locked
RUN --mount=type=$MNT_TYPE,id=c,mode=${CACHE_MODE},uid=$OWNER,sharing=$SHARING,target=/c stat -c '%%a %%u' /c > /cache.stat
RUN --mount=type=secret,id=tok,required=$REQUIRED,mode=${SECRET_MODE} stat -c '%%a' /run/secrets/tok > /secret.stat
ADD --checksum=${DIGEST} "%[1]s" /opt/tool.tar
`

// bkIgnored binds the context and a directory of it, each with files
// that .dockerignore leaves out.
const bkIgnored = `ARG BASE
FROM ${BASE}
WORKDIR /w
RUN --mount=type=bind,source=src,target=/src ls -A /src > /src.ls
RUN --mount=type=bind,source=. sh -c 'find . | sort > /ctx.ls'
`

func mountFromCases() []bkCase {
	return []bkCase{
		{name: "mount-from", dockerfile: bkMountFrom, stubs: []string{"o", "c"}},
		{
			name: "expanded-options", dockerfile: fmt.Sprintf(bkExpanded, toolServer()),
			buildArgs: "DIGEST=sha256:" + sha256Hex(toolBody), stubs: []string{"c", "run", "run/secrets"},
			secrets: map[string]string{"tok": "EXPANDED-SECRET-9c1"},
		},
		{
			name: "dockerignore-binds", dockerfile: bkIgnored, stubs: []string{"src"},
			files: map[string]string{
				".dockerignore": "**/*.o\nsrc/.env\nnode_modules\n!node_modules/keep.txt\n",
				"src/main.c":    "int main;\n", "src/main.o": "object\n", "src/.env": "TOKEN=x\n",
				"node_modules/dep.js": "dep\n", "node_modules/keep.txt": "keep\n",
			},
		},
	}
}

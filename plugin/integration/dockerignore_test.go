package integration

import (
	"strings"
	"testing"
)

const bindIgnored = `ARG BASE
FROM ${BASE}
WORKDIR /w
RUN --mount=type=bind,source=src,target=/src ls -a /src > /src.txt
RUN --mount=type=bind,source=. find . -name '*.o' -o -name .env > /whole.txt; true
`

func TestDockerignoreLeavesFilesOutOfContextBindsAsBuildKitDoes(t *testing.T) {
	addRepos("bk/ignore")
	for _, tc := range []struct{ name, ignoreFile string }{
		{"context .dockerignore", ".dockerignore"},
		{"Dockerfile.dockerignore", "Dockerfile.dockerignore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := writeFiles(t, map[string]string{
				"Dockerfile": bindIgnored, tc.ignoreFile: "**/*.o\nsrc/.env\n",
				"src/main.c": "int main;\n", "src/main.o": "object\n", "src/.env": "TOKEN=secret\n",
			})
			r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/ignore", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			_, files := pulled(t, stack.Registry.Addr+"/bk/ignore:latest")
			if files["src.txt"] != ".\n..\nmain.c\n" {
				t.Errorf("the bound src held %q, want only main.c", files["src.txt"])
			}
			if files["whole.txt"] != "" {
				t.Errorf("ignored files were visible in the bound context: %q", files["whole.txt"])
			}
		})
	}
}

func TestBindingAnIgnoredSourceExitsTwoNamingTheLine(t *testing.T) {
	ws := writeFiles(t, map[string]string{
		"Dockerfile":    "ARG BASE\nFROM ${BASE}\nRUN --mount=type=bind,source=.env,target=/e cat /e\n",
		".dockerignore": ".env\n", ".env": "TOKEN=x\n",
	})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/ignore", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 2 || !strings.Contains(r.stderr, "Dockerfile:3:") || !strings.Contains(r.stderr, "left out of the build context by") {
		t.Errorf("exit %d, want 2 naming line 3\n%s", r.code, r.stderr)
	}
}

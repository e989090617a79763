package settings

import (
	"strings"
	"testing"
)

func TestBuildContextsReachThePlanAndTheFrontEnd(t *testing.T) {
	dir := workspace(t)
	p, err := validate(t, dir, map[string]string{
		"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
		"PLUGIN_BUILD_CONTEXTS": "busybox=docker-image://public.ecr.aws/docker/library/busybox:1.36,unused=docker-image://alpine",
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Contexts["busybox"].Image != "public.ecr.aws/docker/library/busybox:1.36" || len(p.Contexts) != 2 {
		t.Errorf("plan contexts %+v", p.Contexts)
	}
	if df := string(p.Frontend.Dockerfile); !strings.Contains(df, "FROM public.ecr.aws/docker/library/busybox:1.36 AS final") {
		t.Errorf("kaniko's Dockerfile does not use the context:\n%s", df)
	}
}

func TestBuildContextsProblemsAreReportedWithTheRest(t *testing.T) {
	dir := workspace(t)
	_, err := validate(t, dir, map[string]string{
		"PLUGIN_REPO":           "team/app",
		"PLUGIN_BUILD_CONTEXTS": "Bad=docker-image://alpine,src=https://example.com/x.tgz,up=../",
	})
	wantProblems(t, err, []string{
		"PLUGIN_REGISTRY is required",
		`PLUGIN_BUILD_CONTEXTS: "Bad" is not a context name`,
		"PLUGIN_BUILD_CONTEXTS: src: \"https://example.com/x.tgz\": https contexts are not supported here",
		`PLUGIN_BUILD_CONTEXTS: up: "../" is outside the workspace`,
	})
}

func TestBuildContextsAreABuildSettingInIndexMode(t *testing.T) {
	dir := workspace(t)
	_, err := validate(t, dir, map[string]string{
		"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_INDEX_SOURCES": "a,b",
		"PLUGIN_BUILD_CONTEXTS": "base=docker-image://alpine",
	})
	wantProblems(t, err, []string{"PLUGIN_BUILD_CONTEXTS is a build setting, but PLUGIN_INDEX_SOURCES"})
}

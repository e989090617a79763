package main

import (
	"os"
	"testing"
)

func TestRegionsFileMatchesPinnedSDK(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../plugin/settings/regions.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("plugin/regions.go is stale: run go generate ./plugin")
	}
}

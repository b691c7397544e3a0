package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// octokitServer is @octokit/webhooks' Node middleware, the receiver Probot
// apps use, with a handler that does nothing: the same work as the bare
// server (check the signature, parse the payload, answer) in Node.
const octokitServer = `import http from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const webhooks = new Webhooks({ secret: process.env.` + secretEnv + ` });
webhooks.onAny(() => {});
const server = http.createServer(createNodeMiddleware(webhooks, { path: "` + webhookPath + `" }));
server.keepAliveTimeout = 120000;
server.listen(0, "127.0.0.1", () => {
  console.log("` + readyPrefix + `http://127.0.0.1:" + server.address().port);
});
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`

// nodeTools reports whether node and npm are both on PATH.
func nodeTools() (node, npm string, ok bool) {
	node, err1 := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	return node, npm, err1 == nil && err2 == nil
}

// startOctokit installs @octokit/webhooks at version into a temporary folder
// with npm and runs the middleware from it. The folder goes when it stops.
func startOctokit(ctx context.Context, secret, version string, stderr io.Writer) (*child, error) {
	node, npm, ok := nodeTools()
	if !ok {
		return nil, fmt.Errorf("node and npm are not both on PATH")
	}
	dir, err := os.MkdirTemp("", "secwg-load-octokit-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*child, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private":true,"type":"module"}`+"\n"), 0o644); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.mjs"), []byte(octokitServer), 0o644); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "secwg-load: installing @octokit/webhooks@%s into %s\n", version, dir)
	ictx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	install := exec.CommandContext(ictx, npm, "install", "--no-audit", "--no-fund", "--no-package-lock",
		"--loglevel=error", "@octokit/webhooks@"+version)
	install.Dir = dir
	install.Env = append(childEnv(dir), "npm_config_cache="+filepath.Join(dir, ".npm"))
	if out, err := install.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("npm install @octokit/webhooks@%s: %v\n%s", version, err, out))
	}
	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(childEnv(dir), secretEnv+"="+secret, "NODE_ENV=production")
	return startChild("octokit", cmd, dir, 30*time.Second)
}

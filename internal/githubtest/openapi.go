package githubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// EnvOpenAPI names the environment variable holding the path of GitHub's OpenAPI
// description; when set, every request the fake receives is validated against it.
const EnvOpenAPI = "SECWG_OPENAPI"

// greedyParams are the path parameters whose values carry slashes: a file path in the
// contents endpoints (meetings/2024-01-01.md) and a git ref (heads/main).
var greedyParams = map[string]bool{"path": true, "ref": true}

// spec is a loaded OpenAPI description with its own router, because kin-openapi's routers
// match one path segment per parameter and so never find the slash-carrying ones.
type spec struct {
	source string
	doc    *openapi3.T
	ops    []*operation
}

type operation struct {
	method   string
	segments []segment
	literals int
	route    *routers.Route
}

type segment struct {
	literal string // set for a literal segment
	param   string // set for a {param} segment
	greedy  bool   // the param may span several segments
}

var (
	specsMu sync.Mutex
	specs   = map[string]func() (*spec, error){}
)

// envSpec loads the description named by EnvOpenAPI, nil when unset.
func envSpec() (*spec, error) {
	path := os.Getenv(EnvOpenAPI)
	if path == "" {
		return nil, nil
	}
	return cachedSpec(path)
}

// cachedSpec loads each description once per process: GitHub's is close to a megabyte.
func cachedSpec(path string) (*spec, error) {
	specsMu.Lock()
	load, ok := specs[path]
	if !ok {
		load = sync.OnceValues(func() (*spec, error) { return loadSpec(path) })
		specs[path] = load
	}
	specsMu.Unlock()
	return load()
}

func loadSpec(path string) (*spec, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading OpenAPI description %s: %w", path, err)
	}
	// kin-openapi refuses paths that differ only in a parameter's name, which GitHub's
	// description has (/orgs/{org}/attestations/{subject_digest} and .../{attestation_id},
	// for different methods). The fake routes them itself, so they are only kept out of
	// the document's own validation.
	repairAccountSchemas(doc)
	aside := setAsideConflictingPaths(doc.Paths)
	// GitHub's own examples do not all match its schemas.
	err = doc.Validate(loader.Context, openapi3.DisableExamplesValidation())
	for template, item := range aside {
		doc.Paths.Set(template, item)
	}
	if err != nil {
		return nil, fmt.Errorf("OpenAPI description %s is invalid: %w", path, err)
	}
	sp := &spec{source: path, doc: doc}
	for template, item := range doc.Paths.Map() {
		segs := parseTemplate(template)
		for method, op := range item.Operations() {
			o := &operation{
				method:   method,
				segments: segs,
				route: &routers.Route{
					Spec:      doc,
					Path:      template,
					PathItem:  item,
					Method:    method,
					Operation: op,
				},
			}
			for _, s := range segs {
				if s.param == "" {
					o.literals++
				}
			}
			sp.ops = append(sp.ops, o)
		}
	}
	// A deterministic order keeps ties (there should be none) stable across runs.
	sort.Slice(sp.ops, func(i, j int) bool {
		a, b := sp.ops[i].route, sp.ops[j].route
		return a.Path+" "+a.Method < b.Path+" "+b.Method
	})
	return sp, nil
}

// repairAccountSchemas undoes a slip in GitHub's description: apps/list-installations
// describes an installation's account as allOf a user and an enterprise, which no answer
// can be, where the installation schema says anyOf.
func repairAccountSchemas(doc *openapi3.T) {
	item := doc.Paths.Find("/app/installations")
	if item == nil || item.Get == nil {
		return
	}
	ok := item.Get.Responses.Status(200)
	if ok == nil || ok.Value == nil {
		return
	}
	media := ok.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil || media.Schema.Value.Items == nil {
		return
	}
	installation := media.Schema.Value.Items.Value
	if installation == nil {
		return
	}
	if account := installation.Properties["account"]; account != nil && account.Value != nil && len(account.Value.AllOf) == 2 {
		account.Value.AnyOf, account.Value.AllOf = account.Value.AllOf, nil
	}
}

// setAsideConflictingPaths removes from paths every template that differs from an earlier
// one (in sorted order) only in its parameters' names, and returns what it removed.
func setAsideConflictingPaths(paths *openapi3.Paths) map[string]*openapi3.PathItem {
	aside := map[string]*openapi3.PathItem{}
	seen := map[string]bool{}
	templates := paths.Keys()
	slices.Sort(templates)
	for _, template := range templates {
		shape := pathShape(template)
		if seen[shape] {
			aside[template] = paths.Value(template)
			continue
		}
		seen[shape] = true
	}
	for template := range aside {
		paths.Delete(template)
	}
	return aside
}

// pathShape is a template with its parameters' names left out.
func pathShape(template string) string {
	segs := parseTemplate(template)
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = s.literal
		if s.param != "" {
			parts[i] = "{}"
		}
	}
	return strings.Join(parts, "/")
}

// pattern is the ServeMux pattern for the operation; a slash-carrying parameter at the end
// becomes {name...}. ServeMux has no multi-segment wildcard mid-path, so
// /commits/{ref}/check-runs matches single-segment refs only.
func (o *operation) pattern() string {
	path := o.route.Path
	if last := o.segments[len(o.segments)-1]; last.greedy {
		path = strings.TrimSuffix(path, "}") + "...}"
	}
	return o.method + " " + path
}

func parseTemplate(template string) []segment {
	var segs []segment
	for _, s := range strings.Split(strings.Trim(template, "/"), "/") {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			name := s[1 : len(s)-1]
			segs = append(segs, segment{param: name, greedy: greedyParams[name]})
			continue
		}
		segs = append(segs, segment{literal: s})
	}
	return segs
}

// find returns the operation for method and escaped path with its path parameters.
// Among templates that match, the one with most literal segments wins, as on GitHub
// (/commits/{ref}/check-runs beats /commits/{ref} for .../commits/abc/check-runs).
func (sp *spec) find(method, escapedPath string) (*operation, map[string]string, error) {
	var parts []string
	for _, p := range strings.Split(strings.Trim(escapedPath, "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, nil, fmt.Errorf("path segment %q: %w", p, err)
		}
		parts = append(parts, u)
	}
	var (
		best       *operation
		bestParams map[string]string
		methods    []string
	)
	for _, op := range sp.ops {
		params, ok := matchSegments(op.segments, parts, map[string]string{})
		if !ok {
			continue
		}
		if op.method != method {
			methods = append(methods, op.method)
			continue
		}
		if best == nil || op.literals > best.literals {
			best, bestParams = op, params
		}
	}
	if best == nil {
		if len(methods) > 0 {
			slices.Sort(methods)
			return nil, nil, fmt.Errorf("%s %s is not an operation in the OpenAPI description %s (the path has only %s); add the operation to the description",
				method, escapedPath, sp.source, strings.Join(slices.Compact(methods), ", "))
		}
		return nil, nil, fmt.Errorf("%s %s is not an operation in the OpenAPI description %s; add the operation to the description",
			method, escapedPath, sp.source)
	}
	return best, bestParams, nil
}

// matchSegments matches path parts against template segments, letting greedy parameters
// take one or more parts and backtracking when the rest does not match.
func matchSegments(segs []segment, parts []string, params map[string]string) (map[string]string, bool) {
	if len(segs) == 0 {
		return params, len(parts) == 0
	}
	if len(parts) == 0 {
		return nil, false
	}
	s := segs[0]
	switch {
	case s.param == "":
		if parts[0] != s.literal {
			return nil, false
		}
		return matchSegments(segs[1:], parts[1:], params)
	case !s.greedy:
		if parts[0] == "" {
			return nil, false
		}
		params[s.param] = parts[0]
		return matchSegments(segs[1:], parts[1:], params)
	}
	// Greedy: the remaining segments need at least one part each.
	for n := 1; n <= len(parts)-(len(segs)-1); n++ {
		value := strings.Join(parts[:n], "/")
		if value == "" || strings.HasPrefix(value, "/") || strings.HasSuffix(value, "/") {
			continue
		}
		p := make(map[string]string, len(params)+1)
		for k, v := range params {
			p[k] = v
		}
		p[s.param] = value
		if out, ok := matchSegments(segs[1:], parts[n:], p); ok {
			return out, true
		}
	}
	return nil, false
}

// exchange is one request matched to its operation, kept so that the answer can be
// validated against the same operation.
type exchange struct {
	op    *operation
	input *openapi3filter.RequestValidationInput
}

func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		MultiError:         true,
		// Schemas run to kilobytes; the reason and the JSON pointer are what a reader needs.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
}

// validate checks a request (method, path, query and body) against the description and
// returns the matched exchange, nil when the request matches no operation.
func (sp *spec) validate(r *http.Request, body []byte) (*exchange, error) {
	op, params, err := sp.find(r.Method, r.URL.EscapedPath())
	if err != nil {
		return nil, err
	}
	body = asGitHubReads(op, body)
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	ex := &exchange{op: op, input: &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      op.route,
		Options:    validationOptions(),
	}}
	if err := openapi3filter.ValidateRequest(r.Context(), ex.input); err != nil {
		return ex, fmt.Errorf("does not match operation %s of the OpenAPI description: %w",
			op.route.Operation.OperationID, err)
	}
	return ex, nil
}

// validateResponse checks an answer (status, the headers the operation declares, body)
// against the operation the request matched. A 2xx status the operation does not declare
// is a mismatch; errors and redirects it does not declare are let through, because GitHub
// answers rate limits, outages and renamed repositories on any operation.
func (ex *exchange) validateResponse(ctx context.Context, status int, header http.Header, body []byte) error {
	declared := ex.op.route.Operation.Responses.Status(status) != nil
	if !declared && (status < 200 || status > 299) {
		return nil
	}
	if status == http.StatusOK && asksForRaw(ex.input.Request) {
		// The description lists only the JSON forms of the contents answer.
		if ct := header.Get("Content-Type"); ct != RawContentType {
			return fmt.Errorf("answer %d to operation %s with Accept %q has Content-Type %q; GitHub sends %q",
				status, ex.op.route.Operation.OperationID, ex.input.Request.Header.Get("Accept"), ct, RawContentType)
		}
		return nil
	}
	opts := validationOptions()
	opts.IncludeResponseStatus = true
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: ex.input,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, input); err != nil {
		return fmt.Errorf("answer %d does not match operation %s of the OpenAPI description: %w",
			status, ex.op.route.Operation.OperationID, err)
	}
	return nil
}

// asksForRaw reports a contents read in the raw media type.
func asksForRaw(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(r.URL.Path, "/contents/") &&
		(strings.Contains(accept, "application/vnd.github.raw") || strings.Contains(accept, "application/vnd.github.v3.raw"))
}

// asGitHubReads rewrites the few bodies GitHub accepts but its description's schemas reject,
// so the fake does not fail correct code.
func asGitHubReads(op *operation, body []byte) []byte {
	trimmed := string(bytes.TrimSpace(body))
	rb := op.route.Operation.RequestBody
	optional := rb != nil && rb.Value != nil && !rb.Value.Required
	switch {
	case optional && trimmed == "null":
		// ghinstallation sends "null" when it has no token options; GitHub reads no body.
		return nil
	case op.route.Operation.OperationID == "issues/set-labels" && (trimmed == "[]" || isEmptyLabels(body)):
		// The description's text says an empty array removes all labels; its schemas
		// demand at least one.
		return nil
	case op.route.Operation.OperationID == "checks/create":
		return defaultCheckRunStatus(body)
	}
	return body
}

func isEmptyLabels(body []byte) bool {
	var v struct {
		Labels *[]json.RawMessage `json:"labels"`
	}
	return json.Unmarshal(body, &v) == nil && v.Labels != nil && len(*v.Labels) == 0
}

// defaultCheckRunStatus fills in "status": "queued", as GitHub does: the description's
// status discriminator would otherwise reject a body that omits it.
func defaultCheckRunStatus(body []byte) []byte {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return body
	}
	if _, ok := obj["status"]; ok {
		return body
	}
	obj["status"] = json.RawMessage(`"queued"`)
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}

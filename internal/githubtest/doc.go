// Package githubtest is a fake GitHub REST API for handler tests: it records every request,
// answers App authentication itself and can validate requests against GitHub's OpenAPI description.
//
// Start one per test with New, register the routes the code under test should call,
// point the client at URL, then assert on Requests, Count or CallsExcludingAuth:
//
//	s := githubtest.New(t)
//	s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}", 200, issue)
//	// configure go-githubapp with V3APIURL s.URL(), AppID and s.PrivateKeyPEM(); see Example
//	handler.Handle(ctx, "issues", deliveryID, payload)
//	if n := s.CallsExcludingAuth(); n > 3 { t.Errorf("%d API calls, budget is 3", n) }
//
// Anything the test did not register fails the test and gets 404, so a handler cannot make
// a call nobody expected; with the description loaded the failure names GitHub's operation
// and the pattern to register. Registering a pattern again replaces its handler.
//
// Authentication is checked as GitHub does. POST /app/installations/{id}/access_tokens and
// GET /app are answered without registration once the App's JWT (RS256, signed by
// PrivateKeyPEM, iss AppID) verifies; App endpoints and the repository or organisation
// installation lookups take that JWT, everything else an installation token
// ("token ghs_test_<id>", see InstallationToken), and Request.Installation records which.
// CallsExcludingAuth leaves token creation out, for API budget assertions.
//
// Faults: Sequence answers successive calls differently (SecondaryRateLimit,
// RateLimitExhausted, any Response with a Delay), and ETag answers 304 to a matching
// If-None-Match; Request.Status shows which calls were revalidated. go-githubapp clients
// send If-None-Match only when created with githubapp.WithClientCaching.
//
// Validation: with SECWG_OPENAPI set to GitHub's OpenAPI description (CI uses the whole
// api.github.com.json; api.github.com.subset.json loads faster for local runs), loaded once
// per test process, each request's method, path, query and body must match an operation of
// it, and each answer must match that operation too: a 2xx status it declares, the headers
// it declares and a body its schema accepts (errors and redirects it does not declare are
// let through, since GitHub answers them anywhere). A mismatch, or an operation missing
// from the description, fails the test naming the operation and the reason; the answer is
// held back until then. Path parameters {path} and {ref} may span slashes. Three request
// bodies GitHub accepts but its schemas reject are let through: checks/create without
// status (GitHub defaults it to queued), issues/set-labels with no labels (clears them) and
// "null" for an optional body (ghinstallation's token request). A contents read with the
// raw media type must be answered with RawContent, GitHub's Content-Type for it. One
// answer schema the description gets wrong is repaired as it loads: the account of
// apps/list-installations is anyOf a user and an enterprise, not allOf.
//
// Answers: Issue, IssueComment, CheckRun, Installation, Repository and the other object
// builders start from the examples in GitHub's description, so a test sets only the fields
// its code reads; ids they hand out (BigID + n) are past 2^31, as GitHub's are. Every GET
// is answered with GitHub's caching headers (Vary: Accept, Authorization, Cookie,
// X-GitHub-OTP; Cache-Control: private, max-age=60), which a handler may replace.
//
// GraphQL: PatternGraphQL (POST /graphql) is registered, authenticated, recorded and counted
// like any route; it is not a REST operation, but with SECWG_GRAPHQL_SCHEMA set to GitHub's
// schema (schema.json, an introspection result, or schema.graphql) each query must validate
// against it and its variables match the types the query declares. DecodeGraphQL reads a
// request's query and variables, GraphQLData and GraphQLErrors answer it.
//
// Routes use http.ServeMux patterns, whose {name...} wildcard must end the pattern: register
// "GET /repos/{owner}/{repo}/contents/{path...}", but a slash-carrying ref in the middle of
// a path needs it spelled out, e.g. "GET /repos/{owner}/{repo}/commits/heads/main/check-runs".
//
// Webhooks: Corpus returns the recorded payloads under SECWG_WEBHOOK_CORPUS and Sign (or
// Delivery.NewRequest) produces the X-Hub-Signature-256 GitHub would send.
package githubtest

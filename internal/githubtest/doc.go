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
// a call nobody expected. Installation tokens (POST /app/installations/{id}/access_tokens)
// and GET /app are answered automatically after the App's JWT is verified; every other
// request must carry an installation token, and Request.Installation records which.
//
// Faults: Sequence answers successive calls differently (SecondaryRateLimit,
// RateLimitExhausted, any Response with a Delay), and ETag answers 304 to a matching
// If-None-Match.
//
// Validation: with SECWG_OPENAPI set to GitHub's OpenAPI description
// (api.github.com.subset.json), each request's method, path, query and body must match an
// operation of it; a mismatch, or an operation missing from the description, fails the test
// naming the operation and the reason. Path parameters {path} and {ref} may span slashes.
//
// Webhooks: Corpus returns the recorded payloads under SECWG_WEBHOOK_CORPUS and Sign (or
// Delivery.NewRequest) produces the X-Hub-Signature-256 GitHub would send.
package githubtest

// Package githubclient creates the GitHub API clients secwg's handlers use: App and
// installation auth, a bounded ETag cache, retries, request logs and metrics.
//
// # Retry policy
//
// Each attempt has its own timeout (30 s by default, reading the answer
// included); the policy bounds the whole by attempts (4), total time (90 s) and
// the job's deadline, whichever ends first. A wait that would pass one of them
// is not started: the request fails, the job fails, and the delivery is left to
// redelivery.
//
// Rate limits. GitHub does not carry out a rate-limited request, so any method is
// sent again after the wait GitHub asks for: Retry-After when given; for a
// primary limit (X-RateLimit-Remaining: 0) the reset time plus one second; for a
// secondary limit or a 429 without Retry-After, at least one minute, as GitHub's
// documentation requires.
//
// Server errors (5xx but 501) and transport errors may come after a write took
// effect, so only requests whose repetition changes nothing are sent again:
//
//	GET, HEAD, OPTIONS                          reads
//	PUT, DELETE                                 idempotent by definition (labels, files, refs)
//	PATCH issue bodies, check runs, refs        each sets whole fields to a computed state
//	POST .../reactions                          GitHub answers an existing reaction with 200
//	POST /graphql with a query                  a read; a mutation is not repeated
//
// Every other POST creates something (a comment, a check run, an issue, a pull
// request, a branch). It is not repeated here; the handler's job fails, and its
// redelivery first looks for what the failed try may have made: the reply's
// marker in the comments, the App's check run on the head commit, the meeting
// issue's marker, the minutes branch and pull request.
package githubclient

// Package checkrun posts the threat-model check on pull requests: it reads the
// base branch's configuration and the changed model files, runs the checker
// and writes one check run per head commit with its annotations.
//
// # Flow and API budget
//
// For a pull request that changes one threat-model file the check costs five
// requests, four REST and one GraphQL, besides annotation batches and
// installation tokens:
//
//  1. POST graphql: .github/secwg.yml at the base branch and the App's check
//     runs on the head commit, in one query (runs are filtered by app_id there
//     and by check name here, the name being configuration). The owner's
//     .github repository is read through REST only when the repository has no
//     configuration.
//  2. GET pulls/<n>/files (100 a page; its patches rebuild the other version of
//     each file, so the base is never read unless GitHub leaves a patch out)
//  3. POST check-runs, status in_progress
//  4. GET contents/<model>?ref=<head sha> (none for an added file, whose patch
//     is the whole file, nor for a removed one)
//  5. PATCH check-runs/<id>, completed, with the first 50 annotations
//
// The query only saves requests. When it fails (transport, an errors array),
// or cannot give the file's exact bytes (binary, truncated), the check reads
// through REST as it would without it: GET contents/.github/secwg.yml?ref=<base
// branch> (a 304 through the ETag cache when unchanged) and GET
// commits/<head>/check-runs?check_name=…&app_id=…, six requests in all. The
// query is not sent when the App's id is unknown, nor when the event names the
// head commit's run (check_run rerequested): there the configuration read is
// the one request either way, and REST's is cacheable.
//
// With several model files, each unchanged one costs a read more, and a glob
// in threat_model.paths one listing of the head commit's tree. Head SHA, base
// ref and base SHA come from the payload. A pull request that
// changes no model file costs three (1, 2 and one POST of the completed
// run); a repository without threat_model.paths costs the configuration reads
// only.
//
// # Decisions where GitHub and the format are silent
//
//   - Draft pull requests are checked like any other: the check is cheap,
//     early feedback helps, and a draft cannot merge anyway.
//   - A removed model file is read from its patch; its threats are listed as
//     removed in the summary, and what still links to them fails.
//   - A model file over threatmodel.MaxDocumentSize fails the check with a
//     message naming it; it is never read past the cap.
//   - A configuration that cannot be parsed fails the check under the default
//     check name (the configured one is unknown), naming file, line and key.
//     A configuration that cannot be read (GitHub failing) posts nothing and
//     returns the error, since whether the repository opted in is unknown.
//   - A changed check_name starts runs under the new name; runs under the old
//     name are left as they are, so a branch protection rule naming the old
//     check must be updated with the configuration.
//   - A completed run is updated in place when it already shows the new result
//     (a redelivered event or a re-run of the same commit): its summary
//     carries a fingerprint of conclusion, title and annotations, and the
//     annotations are not sent again. When the result differs the new result
//     gets a new run: GitHub appends annotations to a run and does not let a
//     completed run go back to in progress, so updating it would show stale
//     annotations next to fresh ones.
//   - A run left in progress (a crash, or another replica) is taken over.
//   - Every failure after the configuration was read completes the run as
//     failure with the reason, also when the job's context has ended.
//   - A model that yields no entry (a misspelt section, an empty file) concludes
//     neutral, never success.
//   - The model files of one check share a budget of threatmodel.MaxModelSize
//     bytes per version; past it the check fails naming the limit.
//   - Findings with exactly one fix on a line the pull request adds become
//     GitHub suggestions, in one review per head commit: one request more. The
//     run's summary records that the commit has its review, so a redelivery
//     or a re-run posts none; a review that cannot be posted fails nothing.
//   - Models split over several files: the unchanged model files are read at
//     the head commit too (one read each; a glob in threat_model.paths adds one
//     listing of the head commit's tree), up to MaxContextFiles, so that rules
//     spanning files see the whole model. Their entries count as untouched.
package checkrun

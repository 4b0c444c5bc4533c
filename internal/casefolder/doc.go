// Package casefolder owns a case folder: the name of every file in it and
// the one order in which a case is finished, whoever ran it (a live case's
// Summarize activity, `plannerbench load`, a reused case brought up to
// date, a virtual-time replay).
//
// A case folder holds, while the case runs, the raw records its stages
// append (requests/ and gpu/ Parquet parts, samples.jsonl, decisions.jsonl,
// deployment.json, the logs of processes it started), and once it is
// finished its results: requests.parquet and gpu.parquet, AIPerf's three
// export files (internal/aiperf), timeline.parquet, tensorboard/, case.json
// and, last, summary.json. summary.json marks the case complete: a
// resubmitted matrix skips a case that has one, and `plannerbench report`
// reads only such cases; so it is written after every other file.
package casefolder

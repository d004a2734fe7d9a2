// Package repro is the output plumbing of hifm reproduce: the files a run
// of the paper's tables (flow/experiments) writes — results.json and
// results.csv (Report), config.json (RunConfig), the figures (Figs. 3 and
// 4, the LJ13 energy and pair-distance histograms, MNIST digit grids),
// rows/ID.json and samples/ID.npy —, how a table's rows are split into
// shards (Shard), and how the directories of shards are read back (ReadDir)
// and merged (Merge) into the outputs of one unsharded run, bit for bit.
//
// It lives under cmd/internal, not beside flow/experiments, because only
// the command line calls it: a library user runs the rows with
// flow/experiments (Rows, Config, Run) and keeps the Results; the files,
// their format and their merge belong to hifm. Shard, Revision and
// SetSHA256 also describe the shards of hifm nll (nll.json).
package repro

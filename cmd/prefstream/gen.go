package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/synth"
)

func newGenCmd(*globals) *cobra.Command {
	cmd := &cobra.Command{Use: "gen", Short: "Generate realistic synthetic dumps for demos, tests and benchmarks"}
	o := synth.DefaultOptions()
	var out string
	var size sizeFlag
	var quiet bool
	se := &cobra.Command{
		Use:   "stackexchange",
		Short: "Generate a Stack Exchange site dump (Posts.xml, Votes.xml, optionally a .7z)",
		Long: `Writes OUT/<site>/Posts.xml and Votes.xml in the real dumps' format. Each answer has a hidden
quality (relevance to the question, correctness of the fact it states, clarity) and its votes
depend on that quality plus noise, so the pairs made from the dump carry a learnable signal.
The same options always give the same bytes.`,
		Example: `  prefstream gen stackexchange --out ./dumps --questions 2000 --seed 7 --7z
  prefstream gen stackexchange --out ./dumps --size 1GB`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.TargetBytes = int64(size)
			bar := newProgress("generating "+o.Site, quiet)
			o.Progress = func(n int64) { bar.update(n, totalOrUnknown(o.TargetBytes)) }
			st, err := synth.StackExchange(out, o)
			bar.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d questions, %d answers, %d votes; Posts.xml %.1f MB, Votes.xml %.1f MB\n",
				st.Questions, st.Answers, st.Votes, float64(st.PostsBytes)/1e6, float64(st.VotesBytes)/1e6)
			return printFiles(cmd, st.Files)
		},
	}
	f := se.Flags()
	f.StringVar(&out, "out", "./dumps", "output directory")
	f.IntVar(&o.Questions, "questions", o.Questions, "number of questions")
	f.Var(&size, "size", "generate until Posts.xml reaches about this size (e.g. 250MB, 1GB); overrides --questions")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	f.StringVar(&o.Site, "site", o.Site, "site name (folder and archive name)")
	f.BoolVar(&o.SevenZip, "7z", false, "also pack OUT/<site>.7z (needs the 7z command, Debian p7zip-full)")
	f.BoolVar(&o.NewTagFormat, "new-tags", false, "write tags as |a|b| (2024+ dumps) instead of <a><b>")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	cmd.AddCommand(se, newGenRedditCmd(), newGenWikipediaCmd(), newGenRankingsCmd())
	return cmd
}

func newGenRedditCmd() *cobra.Command {
	var o synth.RedditOptions
	var out string
	var size sizeFlag
	var quiet bool
	cmd := &cobra.Command{
		Use:   "reddit",
		Short: "Generate a Reddit month: RS_YYYY-MM.zst submissions and RC_YYYY-MM.zst comments",
		Long: `Writes one month of submissions and comments in the Pushshift dumps' shape, zstd-compressed
with a 2 GiB window (through the zstd command when installed) or as plain NDJSON. Comments have
a hidden quality; earlier comments get more exposure, yet later better ones often outscore
them, so both the shp and siblings presets find pairs.`,
		Example: `  prefstream gen reddit --out ./dumps --month 2015-06 --size 1GB`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.TargetBytes = int64(size)
			bar := newProgress("generating reddit "+o.Month, quiet)
			o.Progress = func(n int64) { bar.update(n, totalOrUnknown(o.TargetBytes)) }
			st, err := synth.Reddit(out, o)
			bar.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d submissions, %d comments; %.1f MB of comment NDJSON\n", st.Submissions, st.Comments, float64(st.CommentBytes)/1e6)
			return printFiles(cmd, st.Files)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "./dumps", "output directory")
	f.StringVar(&o.Month, "month", "2015-06", "month YYYY-MM")
	f.IntVar(&o.Submissions, "submissions", 500, "submissions in the month")
	f.Var(&size, "size", "generate until the comments reach about this size uncompressed (e.g. 1GB); overrides --submissions")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed")
	f.BoolVar(&o.Plain, "plain", false, "write .ndjson instead of .zst")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

func newGenWikipediaCmd() *cobra.Command {
	var o synth.WikipediaOptions
	var out string
	var size sizeFlag
	var quiet bool
	cmd := &cobra.Command{
		Use:   "wikipedia",
		Short: "Generate a MediaWiki full-history export (.xml and/or .xml.bz2)",
		Long: `Writes a history export (schema 0.11) of articles that editors expand, vandals deface and
others revert within a few revisions, plus pages of other namespaces and the dumps' quirks
(deleted texts and contributors, empty <sha1/>, multi-slot content).`,
		Example: `  prefstream gen wikipedia --out ./dumps --size 1GB --bz2`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.TargetBytes = int64(size)
			bar := newProgress("generating wikipedia", quiet)
			o.Progress = func(n int64) { bar.update(n, totalOrUnknown(o.TargetBytes)) }
			st, err := synth.Wikipedia(out, o)
			bar.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d pages, %d revisions, %d reverts; %.1f MB of XML\n", st.Pages, st.Revisions, st.Reverts, float64(st.XMLBytes)/1e6)
			return printFiles(cmd, st.Files)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "./dumps", "output directory")
	f.IntVar(&o.Pages, "pages", 200, "pages")
	f.Var(&size, "size", "generate until the XML reaches about this size uncompressed; overrides --pages")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed")
	f.StringVar(&o.Base, "base", "", "file name without .xml (default: a simplewiki-like name)")
	f.BoolVar(&o.Bzip2, "bz2", false, "write .xml.bz2 (needs the bzip2 command) instead of .xml")
	f.BoolVar(&o.KeepXML, "keep-xml", false, "with --bz2, write the .xml as well")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

func totalOrUnknown(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

func printFiles(cmd *cobra.Command, files []string) error {
	for _, f := range files {
		fmt.Fprintln(cmd.OutOrStdout(), filepath.Clean(f))
	}
	return nil
}

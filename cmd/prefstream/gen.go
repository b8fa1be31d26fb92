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
			total := o.TargetBytes
			if total <= 0 {
				total = -1
			}
			o.Progress = func(n int64) { bar.update(n, total) }
			st, err := synth.StackExchange(out, o)
			bar.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d questions, %d answers, %d votes; Posts.xml %.1f MB, Votes.xml %.1f MB\n",
				st.Questions, st.Answers, st.Votes, float64(st.PostsBytes)/1e6, float64(st.VotesBytes)/1e6)
			for _, f := range st.Files {
				fmt.Fprintln(cmd.OutOrStdout(), filepath.Clean(f))
			}
			return nil
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
	cmd.AddCommand(se)
	return cmd
}

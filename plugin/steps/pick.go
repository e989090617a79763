package steps

import "github.com/kaniko-ecr/kaniko-ecr/plugin/steps/pick"

// pick does COPY --parents or COPY or ADD --exclude (see package pick).
func (se *session) pick() error {
	s, tree := se.step, pick.Tree{Root: se.srv.cfg.Context, Ignored: se.srv.cfg.ContextIgnored, AsRoot: true}
	if s.FromStage != nil {
		tree = pick.Tree{Root: se.srv.stageStore(*s.FromStage)}
	}
	w := append([]string{s.Dest, s.Chmod, s.Chown}, s.Sources...)
	for i := range w {
		if err := se.expand(&w[i]); err != nil {
			return err
		}
	}
	return tree.Copy(pick.Spec{Sources: w[3:], Parents: s.Parents, Exclude: s.Exclude, Add: s.Add}, pick.Target{Root: se.fs.Root(), Cwd: se.cwd, Dest: w[0], Chmod: w[1], Chown: w[2], Lookup: se.lookup})
}

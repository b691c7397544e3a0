package meetingsync

import (
	"context"
	"io"
	"time"
)

// Run reconciles every group now and then every Config.Interval() until ctx
// ends. Passes never overlap: a pass that outlasts the interval delays the next
// one. With no groups, or an interval of 0, it returns at once.
func (s *Service) Run(ctx context.Context) error {
	if len(s.cfg.Groups) == 0 {
		s.logger.Debug().Msg("no meeting groups; no sync passes")
		return nil
	}
	interval := s.cfg.Interval()
	if interval <= 0 {
		s.logger.Info().Msg("meeting sync loop off (sync_interval: 0); run `secwg meeting sync` from a schedule instead")
		return nil
	}
	s.logger.Info().Dur("interval", interval).Int("groups", len(s.cfg.Groups)).Msg("meeting sync started")
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sync(ctx, s.now(), false, io.Discard); err != nil && ctx.Err() == nil {
			s.logger.Error().Err(err).Msg("meeting sync pass failed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

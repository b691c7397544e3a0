package commands

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Client is the part of GitHub's API that answering a comment reads and writes.
type Client interface {
	// AddLabel puts label on the issue or pull request owner/repo#number.
	AddLabel(ctx context.Context, owner, repo string, number int, label string) error
	// RemoveLabel takes label off owner/repo#number; a label it does not carry is no error.
	RemoveLabel(ctx context.Context, owner, repo string, number int, label string) error
	// AddReaction reacts to an issue comment.
	AddReaction(ctx context.Context, owner, repo string, commentID int64, reaction string) error
	// CreateComment posts a comment on owner/repo#number and returns its id.
	CreateComment(ctx context.Context, owner, repo string, number int, body string) (int64, error)
	// ListComments reads one page (0 is the first) of the comments on
	// owner/repo#number written since since (all when zero), 100 a page,
	// and the next page's number, 0 after the last.
	ListComments(ctx context.Context, owner, repo string, number int, since time.Time, page int) ([]Comment, int, error)
	// DeleteComment deletes an issue comment.
	DeleteComment(ctx context.Context, owner, repo string, commentID int64) error
}

// Comment is an issue comment as the reply protocol reads it.
type Comment struct {
	ID     int64
	Author string
	Bot    bool // the author's type is Bot
	Body   string
}

// GitHub is Client over go-github's REST client.
func GitHub(c *github.Client) Client { return restClient{c} }

type restClient struct{ c *github.Client }

func (r restClient) AddLabel(ctx context.Context, owner, repo string, number int, label string) error {
	_, _, err := r.c.Issues.AddLabelsToIssue(ctx, owner, repo, number, []string{label})
	return err
}

func (r restClient) RemoveLabel(ctx context.Context, owner, repo string, number int, label string) error {
	_, err := r.c.Issues.RemoveLabelForIssue(ctx, owner, repo, number, label)
	if isNotFound(err) {
		return nil
	}
	return err
}

func (r restClient) AddReaction(ctx context.Context, owner, repo string, commentID int64, reaction string) error {
	_, _, err := r.c.Reactions.CreateIssueCommentReaction(ctx, owner, repo, commentID, reaction)
	return err
}

func (r restClient) CreateComment(ctx context.Context, owner, repo string, number int, body string) (int64, error) {
	c, _, err := r.c.Issues.CreateComment(ctx, owner, repo, number, &github.IssueComment{Body: &body})
	return c.GetID(), err
}

func (r restClient) ListComments(ctx context.Context, owner, repo string, number int, since time.Time, page int) ([]Comment, int, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100, Page: page}}
	if !since.IsZero() {
		opts.Since = &since
	}
	comments, resp, err := r.c.Issues.ListComments(ctx, owner, repo, number, opts)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Comment, 0, len(comments))
	for _, c := range comments {
		out = append(out, Comment{ID: c.GetID(), Author: c.GetUser().GetLogin(),
			Bot: strings.EqualFold(c.GetUser().GetType(), "Bot"), Body: c.GetBody()})
	}
	return out, resp.NextPage, nil
}

func (r restClient) DeleteComment(ctx context.Context, owner, repo string, commentID int64) error {
	_, err := r.c.Issues.DeleteComment(ctx, owner, repo, commentID)
	return err
}

func isNotFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

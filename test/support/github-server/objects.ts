/**
 * Builders for GitHub REST API objects, complete with every field GitHub's OpenAPI
 * description marks required (the contract test checks them against it).
 */
export interface Urls {
  api: string;
  web: string;
}

const STAMP = '2026-01-01T00:00:00Z';

export function userObject(u: Urls, login: string, id: number, type: 'User' | 'Bot' = 'User') {
  const path = encodeURIComponent(login); // `name[bot]` logins are escaped in URLs
  const url = `${u.api}/users/${path}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `${u.web}/avatars/${path}`,
    gravatar_id: '',
    url,
    html_url: `${u.web}/${path}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
  };
}

const TEMPLATED_REPO_URLS: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

export function repoObject(
  u: Urls,
  owner: ReturnType<typeof userObject>,
  name: string,
  id: number,
  defaultBranch: string,
) {
  const url = `${u.api}/repos/${owner.login}/${name}`;
  const templated = Object.fromEntries(
    Object.entries(TEMPLATED_REPO_URLS).map(([k, suffix]) => [k, `${url}${suffix}`]),
  );
  const host = new URL(u.web).host;
  return {
    id,
    node_id: `R_${id}`,
    name,
    full_name: `${owner.login}/${name}`,
    owner,
    private: true,
    html_url: `${u.web}/${owner.login}/${name}`,
    description: null,
    fork: false,
    url,
    ...templated,
    clone_url: `${u.web}/${owner.login}/${name}.git`,
    git_url: `git://${host}/${owner.login}/${name}.git`,
    ssh_url: `git@${host}:${owner.login}/${name}.git`,
    svn_url: `${u.web}/${owner.login}/${name}`,
    mirror_url: null,
    homepage: null,
    language: null,
    license: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 1,
    default_branch: defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    archived: false,
    disabled: false,
    pushed_at: STAMP,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

export type RepoObject = ReturnType<typeof repoObject>;
export type UserObject = ReturnType<typeof userObject>;

export interface PullState {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  headRepo: RepoObject;
  user: UserObject;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  createdAt: string;
  updatedAt: string;
}

export function pullSimpleObject(_u: Urls, repo: RepoObject, p: PullState) {
  const url = `${repo.url}/pulls/${p.number}`;
  const issueUrl = `${repo.url}/issues/${p.number}`;
  const html = `${repo.html_url}/pull/${p.number}`;
  const side = (ref: string, sha: string, r: RepoObject) => ({
    label: `${r.owner.login}:${ref}`,
    ref,
    sha,
    repo: r,
    user: r.owner,
  });
  return {
    url,
    id: p.id,
    node_id: `PR_${p.id}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repo.url}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${repo.url}/statuses/${p.headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: p.user,
    body: p.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.state === 'closed' ? p.updatedAt : null,
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(p.headRef, p.headSha, p.headRepo),
    base: side(p.baseRef, p.baseSha, repo),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${repo.url}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${repo.url}/statuses/${p.headSha}` },
    },
    author_association: 'CONTRIBUTOR' as const,
    auto_merge: null,
    draft: false,
  };
}

export function pullFullObject(u: Urls, repo: RepoObject, p: PullState, commentCount: number) {
  return {
    ...pullSimpleObject(u, repo, p),
    merged: p.mergedAt !== null,
    mergeable: p.state === 'open' ? true : null,
    rebaseable: p.state === 'open' ? true : null,
    mergeable_state: p.state === 'open' ? 'clean' : 'unknown',
    merged_by: null,
    comments: commentCount,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  };
}

export interface CommentState {
  id: number;
  issue: number;
  body: string;
  user: UserObject;
  createdAt: string;
  updatedAt: string;
}

export function commentObject(repo: RepoObject, c: CommentState) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${repo.url}/issues/comments/${c.id}`,
    html_url: `${repo.html_url}/pull/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${repo.url}/issues/${c.issue}`,
    body: c.body,
    user: c.user,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: 'NONE' as const,
  };
}

export interface StatusState {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  description: string | null;
  targetUrl: string | null;
  context: string;
  creator: UserObject;
  createdAt: string;
}

export function statusObject(repo: RepoObject, s: StatusState) {
  return {
    url: `${repo.url}/statuses/${s.sha}`,
    avatar_url: s.creator.avatar_url,
    id: s.id,
    node_id: `SC_${s.id}`,
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    creator: s.creator,
  };
}

export interface CheckRunState {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  detailsUrl: string | null;
  title: string | null;
  summary: string | null;
  annotations: unknown[];
  createdAt: string;
}

export function appObject(u: Urls, owner: UserObject) {
  return {
    id: 1,
    slug: 'backtest-gitops',
    node_id: 'A_1',
    client_id: 'Iv1.test',
    owner,
    name: 'backtest-gitops',
    description: null,
    external_url: `${u.web}/apps/backtest-gitops`,
    html_url: `${u.web}/apps/backtest-gitops`,
    created_at: STAMP,
    updated_at: STAMP,
    permissions: { checks: 'write', statuses: 'write', pull_requests: 'write', contents: 'read' },
    events: ['pull_request', 'push'],
  };
}

export function checkRunObject(u: Urls, repo: RepoObject, c: CheckRunState) {
  return {
    id: c.id,
    head_sha: c.headSha,
    node_id: `CR_${c.id}`,
    external_id: null,
    url: `${repo.url}/check-runs/${c.id}`,
    html_url: `${repo.html_url}/runs/${c.id}`,
    details_url: c.detailsUrl,
    status: c.status,
    conclusion: c.conclusion,
    started_at: c.createdAt,
    completed_at: c.status === 'completed' ? c.createdAt : null,
    output: {
      title: c.title,
      summary: c.summary,
      text: null,
      annotations_count: c.annotations.length,
      annotations_url: `${repo.url}/check-runs/${c.id}/annotations`,
    },
    name: c.name,
    check_suite: { id: c.id },
    app: appObject(u, repo.owner),
    pull_requests: [],
  };
}

/** `GET /user`: the account a personal token belongs to (GitHub's public-user shape). */
export function publicUserObject(user: UserObject) {
  return {
    ...user,
    user_view_type: 'public',
    name: null,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

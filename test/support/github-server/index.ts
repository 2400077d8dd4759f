export { deliverWebhook } from './deliver-webhook.js';
export { createGitRemote, type GitRemoteFixture } from './git-fixture.js';
export { type GitHttpServer, startGitHttpServer } from './git-http-server.js';
export { PullRequestFlow } from './pr-flow.js';
export {
  type FaultSpec,
  type GitHubServer,
  type GitHubServerOptions,
  type RecordedExchange,
  startGitHubServer,
} from './server.js';

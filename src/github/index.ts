export { type ConnectGitHubOptions, connectGitHub, webUrlFor } from './connect.js';
export {
  createGitHubClient,
  type GitHubAuth,
  type GitHubClientOptions,
  type GitHubLog,
  type GitHubTraffic,
} from './octokit-client.js';
export { OctokitGitHub } from './octokit-github.js';
export { headMarker, reportedHead, STICKY_MARKER, withStickyMarker } from './sticky-marker.js';
export { translateGitHubError } from './translate-error.js';
export type * from './types.js';
export { createWebhookHandler, type WebhookHandlerOptions, type WebhookTrigger } from './webhook.js';

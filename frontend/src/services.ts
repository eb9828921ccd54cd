/*
 * What @jupyterlab/services' kernel connection takes from the package's index. The index
 * would bring every service (contents, sessions, terminals, settings, ...) into the page;
 * build.mjs points the connection's `require("..")` here instead.
 */
export { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
export { CommsOverSubshells } from '@jupyterlab/services/lib/kernel/comm';

/**
 * Requests another process makes of a running operation. They travel through the state store
 * (files locally, ConfigMap annotations on Kubernetes) because the operation's own process
 * owns the state record and would overwrite a flag written into it.
 */
export type OperationSignal = 'abort' | 'promote' | 'finalize' | 'rollback';

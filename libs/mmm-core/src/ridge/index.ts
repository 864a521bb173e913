export * from './cholesky';
export * from './box-qp';
export * from './lambda';
export * from './ridge';
export * from './glmnet';

export * from './balances';
export { lockWallet, readWalletState, type WalletState } from './wallet-lock';

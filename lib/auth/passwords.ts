import bcrypt from 'bcryptjs';
import { randomToken } from '@/lib/ids';

const ROUNDS = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, ROUNDS);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/** A one-time password shown once to a new user. */
export function generatePassword(): string {
  return randomToken(16);
}
